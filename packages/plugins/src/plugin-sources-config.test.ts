import { describe, expect, it } from 'vitest';
import { HANGAR_API_URL } from './hangar-source.js';
import { MODRINTH_API_URL } from './modrinth-source.js';
import { createPluginSources } from './plugin-sources-config.js';

describe('plugin sources from their configuration', () => {
  it('builds the configured sources in order: the shipped catalogue trusted, the public APIs not', async () => {
    const sources = await createPluginSources({
      sources: ['local', 'modrinth', 'hangar'],
      modrinthUrl: MODRINTH_API_URL,
      hangarUrl: HANGAR_API_URL,
      userAgent: 'minefleet/0.1.0 (self-hosted Minecraft server panel)',
      timeoutMs: 10_000,
    });
    expect(sources.map((s) => [s.id, s.trusted])).toEqual([
      ['local', true],
      ['modrinth', false],
      ['hangar', false],
    ]);
  });

  it('builds only the sources named', async () => {
    const sources = await createPluginSources({
      sources: ['hangar', 'local'],
      modrinthUrl: MODRINTH_API_URL,
      hangarUrl: 'https://hangar.example.org/api/v1',
      userAgent: 'acme-hosting/minefleet (ops@acme.example)',
      timeoutMs: 2500,
    });
    expect(sources.map((s) => s.id)).toEqual(['hangar', 'local']);
  });
});
