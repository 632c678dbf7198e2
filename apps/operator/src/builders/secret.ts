import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { MinecraftServer } from '../crd/schema.js';
import { names, ownedMetadata } from './common.js';

export const RCON_PASSWORD_KEY = 'rcon-password';

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
