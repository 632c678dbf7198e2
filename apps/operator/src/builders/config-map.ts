import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PropertyValue } from '@minefleet/domain/ports/runtime-driver';
import { renderProperties } from '@minefleet/runtime-local/properties-file';
import type { MinecraftServer, MinecraftServerSpec } from '../crd/schema.js';
import { GAME_PORT, names, ownedMetadata } from './common.js';

/**
 * The community Java image reads each server.properties key from an environment variable: the key in
 * upper case with `-` as `_`, except these.
 */
const JAVA_ENV_NAMES: Record<string, string> = {
  gamemode: 'MODE',
  'level-seed': 'SEED',
  'level-name': 'LEVEL',
  'white-list': 'ENABLE_WHITELIST',
};

export function javaEnvName(property: string): string {
  return JAVA_ENV_NAMES[property] ?? property.toUpperCase().replaceAll('-', '_');
}

/** The game's settings: the user's properties plus the keys the operator manages, in key order. */
export function gameProperties(spec: MinecraftServerSpec): [string, PropertyValue][] {
  const user = Object.entries(spec.properties ?? {}).filter(
    (entry): entry is [string, PropertyValue] => entry[1] !== undefined,
  );
  const managed: [string, PropertyValue][] = [
    ['server-port', GAME_PORT],
    ['max-players', spec.maxPlayers],
    ['enable-status', true],
  ];
  const keys = new Set(managed.map(([k]) => k));
  return [...user.filter(([k]) => !keys.has(k)), ...managed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * ConfigMap data: for Java distributions, environment variables in the community image's convention
 * (the pod reads them with envFrom); for flying-squid, a server.properties file mounted at /config.
 */
export function configData(spec: MinecraftServerSpec): Record<string, string> {
  const entries = gameProperties(spec);
  if (spec.server.distribution === 'flying-squid') {
    return { 'server.properties': renderProperties(entries, 'Written by the Minefleet operator') };
  }
  return Object.fromEntries(entries.map(([key, value]) => [javaEnvName(key), String(value)]));
}

/** A short digest of the settings; in a pod-template annotation, so a change rolls the pod. */
export function configHash(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function buildConfigMap(server: MinecraftServer, spec: MinecraftServerSpec): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(server, names(server).configMap),
    data: configData(spec),
  };
}
