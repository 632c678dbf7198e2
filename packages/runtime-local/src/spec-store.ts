import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Distribution } from '@minefleet/domain/distributions';
import type { ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { writeJsonAtomic } from './atomic-file.js';
import type { ServerFolder } from './server-folder.js';

/**
 * The last spec each server was deployed or started with, kept in its state folder (`spec.json`) so a
 * new control plane can ping and configure the servers it adopts, and remembered here once read.
 */
export class SpecStore {
  private readonly specs = new Map<string, ServerSpec>();

  constructor(private readonly folderOf: (serverId: string) => ServerFolder) {}

  async save(spec: ServerSpec): Promise<void> {
    this.specs.set(spec.serverId, spec);
    await writeJsonAtomic(this.folderOf(spec.serverId).specFile, spec, 0o600);
  }

  async load(serverId: string): Promise<ServerSpec | null> {
    const known = this.specs.get(serverId);
    if (known) return known;
    try {
      const spec = JSON.parse(await readFile(this.folderOf(serverId).specFile, 'utf8')) as ServerSpec;
      this.specs.set(serverId, spec);
      return spec;
    } catch {
      return null;
    }
  }

  /** The server's distribution, read synchronously (workspace paths depend on it). */
  distribution(serverId: string): Distribution | undefined {
    const known = this.specs.get(serverId);
    if (known) return known.distribution;
    try {
      return (JSON.parse(readFileSync(this.folderOf(serverId).specFile, 'utf8')) as ServerSpec).distribution;
    } catch {
      return undefined;
    }
  }

  forget(serverId: string): void {
    this.specs.delete(serverId);
  }
}
