import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_PROPERTIES } from '@minefleet/domain/server-properties';
import { CRD_FILE, minecraftServerCrd, minecraftServerCrdYaml } from './definition.js';
import { checkSpec } from './validate.js';

const root = path.resolve(import.meta.dirname, '../../../..');

describe('MinecraftServer CRD', () => {
  it('the committed YAML is what the generator writes (run `npm run gen:crd` after a schema change)', () => {
    expect(readFileSync(path.join(root, CRD_FILE), 'utf8')).toBe(minecraftServerCrdYaml());
  });

  it('types every catalogue property with its range, values or pattern', () => {
    const spec = minecraftServerCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec as {
      properties: { properties: { properties: Record<string, Record<string, unknown>> } };
    };
    const props = spec.properties.properties.properties;
    expect(Object.keys(props).sort()).toEqual(Object.keys(SERVER_PROPERTIES).sort());
    expect(props['view-distance']).toMatchObject({ type: 'integer', minimum: 2, maximum: 32 });
    expect(props['difficulty']).toMatchObject({
      type: 'string',
      enum: ['peaceful', 'easy', 'normal', 'hard'],
    });
    expect(props['level-name']).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]+$' });
    expect(props['motd']).toMatchObject({
      type: 'string',
      maxLength: 256,
      pattern: '^[^\\x00-\\x1f\\x7f]*$',
    });
  });

  it('uses only structural-schema keywords (no anyOf/const/patternProperties from TypeBox)', () => {
    const text = JSON.stringify(minecraftServerCrd());
    for (const keyword of ['"anyOf"', '"oneOf"', '"const"', '"patternProperties"', '"$id"'])
      expect(text).not.toContain(keyword);
  });
});

describe('checkSpec', () => {
  const base = { server: { distribution: 'paper', version: '1.21.4' }, eula: true };

  it('fills in the defaults the API server applies', () => {
    const result = checkSpec(base);
    expect(result).toMatchObject({
      ok: true,
      spec: {
        state: 'Running',
        maxPlayers: 20,
        resources: { cpu: '1', memory: '2Gi' },
        storage: { size: '10Gi', retainOnDelete: true },
        network: { serviceType: 'ClusterIP', port: 25565, hostnames: [] },
        shutdown: { announceSeconds: 10, stopTimeoutSeconds: 60 },
      },
    });
  });

  it('refuses what the API server refuses, with the field in the message', () => {
    expect(checkSpec({ ...base, eula: false })).toEqual({
      ok: false,
      problems: ['spec.eula must be true to run a Java distribution'],
    });
    expect(checkSpec({ ...base, resources: { memory: '512Mi' } })).toEqual({
      ok: false,
      problems: ['spec.resources.memory must be at least 1024Mi'],
    });
    const unknown = checkSpec({ ...base, server: { distribution: 'forge', version: '1.21.4' } });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.problems.join()).toContain('spec.server.distribution');
    const property = checkSpec({ ...base, properties: { 'view-distance': 99 } });
    expect(!property.ok && property.problems.join()).toContain('spec.properties.view-distance');
    expect(checkSpec({ server: { distribution: 'flying-squid', version: '1.99' } })).toMatchObject({
      ok: false,
    });
    expect(
      checkSpec({
        server: { distribution: 'flying-squid', version: '1.21.4' },
        resources: { memory: '256Mi' },
      }).ok,
    ).toBe(true);
  });
});
