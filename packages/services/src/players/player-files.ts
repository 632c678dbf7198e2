import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isDomainError } from '@minefleet/domain/errors';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import {
  PLAYER_LIST_FILES,
  parseList,
  type BanEntry,
  type IpBanEntry,
  type OpEntry,
  type PlayerListKind,
  type WhitelistEntry,
} from '@minefleet/domain/player-lists';

export interface PlayerListTypes {
  whitelist: WhitelistEntry;
  ops: OpEntry;
  bans: BanEntry;
  ipBans: IpBanEntry;
}

/** Largest list file read (a vanilla list of 10,000 bans is ~2.5 MB). */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** A server's player lists as the game keeps them (whitelist.json, ops.json, …). */
export interface PlayerListStore {
  /** The entries; none when the file is missing or not a list the game would read. */
  read<K extends PlayerListKind>(kind: K): Promise<PlayerListTypes[K][]>;
  /** Replaces the list, atomically (the old list or the new one, never half of one). */
  write<K extends PlayerListKind>(kind: K, entries: readonly PlayerListTypes[K][]): Promise<void>;
}

function parsed<K extends PlayerListKind>(kind: K, text: string): PlayerListTypes[K][] {
  try {
    return parseList(kind, JSON.parse(text)) as PlayerListTypes[K][];
  } catch {
    // A half-edited file by hand: the server would start with an empty list too.
    return [];
  }
}

/**
 * The player list files in a server's folder. Writes are atomic and durable: a temporary file in the
 * same folder, fsync, rename over the old one, fsync of the folder — a crash leaves the old list or the
 * new one, never a truncated file the server would refuse to start with.
 */
export class PlayerListFiles implements PlayerListStore {
  constructor(private readonly root: string) {}

  fileOf(kind: PlayerListKind): string {
    return path.join(this.root, PLAYER_LIST_FILES[kind]);
  }

  async read<K extends PlayerListKind>(kind: K): Promise<PlayerListTypes[K][]> {
    let text: string;
    try {
      // Not through a symbolic link: the game process can write this folder, and a list file pointing
      // elsewhere must not make the API read (and show) another file.
      const handle = await open(this.fileOf(kind), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const { size } = await handle.stat();
        if (size > MAX_LIST_BYTES) throw new Error(`${PLAYER_LIST_FILES[kind]} is larger than 16 MiB`);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') return [];
      throw error;
    }
    return parsed(kind, text);
  }

  async write<K extends PlayerListKind>(kind: K, entries: readonly PlayerListTypes[K][]): Promise<void> {
    await writeFileDurably(this.fileOf(kind), JSON.stringify(entries, null, 2) + '\n');
  }
}

/**
 * The player list files of a server whose files are not a folder of this machine, through the files
 * port (Kubernetes: the pod's volume through its agent, which keeps reads inside the folder and writes
 * atomic and durable).
 */
export class FilesPlayerLists implements PlayerListStore {
  constructor(
    private readonly files: ServerFiles,
    private readonly serverId: string,
  ) {}

  async read<K extends PlayerListKind>(kind: K): Promise<PlayerListTypes[K][]> {
    let bytes: Uint8Array;
    try {
      bytes = await this.files.read(this.serverId, PLAYER_LIST_FILES[kind], MAX_LIST_BYTES);
    } catch (error) {
      // Missing, or a link out of the folder (the game can write there): no list, as locally.
      if (isDomainError(error) && ['FILE_NOT_FOUND', 'PATH_OUTSIDE_SERVER'].includes(error.code)) return [];
      throw error;
    }
    return parsed(kind, new TextDecoder().decode(bytes));
  }

  async write<K extends PlayerListKind>(kind: K, entries: readonly PlayerListTypes[K][]): Promise<void> {
    const text = JSON.stringify(entries, null, 2) + '\n';
    await this.files.write(this.serverId, PLAYER_LIST_FILES[kind], new TextEncoder().encode(text), {
      mode: 0o644,
    });
  }
}

/** temp + fsync + rename + fsync(folder). */
export async function writeFileDurably(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
