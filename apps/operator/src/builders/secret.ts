import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { CONSOLE_PASSWORD_KEY } from '@minefleet/runtime-kubernetes/resource';
import type { MinecraftServer } from '../crd/schema.js';
import { names, ownedMetadata } from './common.js';

/** The console password's key: RCON on the Java image, the in-pod agent's proof on Minefleet's. */
export const RCON_PASSWORD_KEY = CONSOLE_PASSWORD_KEY;

/** A console (RCON) password: 24 random bytes, URL-safe base64. Generated once per server. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The console Secret. It is created once (never applied again), so a reconcile never rotates the
 * password a running server was started with.
 */
export function buildSecret(server: MinecraftServer, password: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(server, names(server).secret),
    type: 'Opaque',
    data: { [RCON_PASSWORD_KEY]: Buffer.from(password).toString('base64') },
  };
}
