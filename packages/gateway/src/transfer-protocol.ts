import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { mcString, packet, varInt } from './varint.js';

/** The first protocol (1.20.5) with the configuration-state Transfer packet and handshake intent 3. */
export const FIRST_TRANSFER_PROTOCOL = 766;
/** Snapshot protocol numbers start here; only releases are held for a transfer. */
const SNAPSHOT_PROTOCOLS = 0x40000000;

/**
 * The few packets the gateway itself speaks to a client it holds while its server starts (1.20.5+):
 * Login Success, then in the configuration state Keep Alive, Disconnect and Transfer. Built from the
 * client's version's protocol description in minecraft-data, so ids and fields follow each version.
 */
export interface TransferPackets {
  readonly protocolVersion: number;
  readonly minecraftVersion: string;
  /** Login-state Login Success for an offline-mode player of that name. */
  loginSuccess(username: string): Buffer;
  /** Id of the serverbound Login Acknowledged (the client enters the configuration state). */
  readonly loginAcknowledgedId: number;
  keepAlive(id: bigint): Buffer;
  disconnect(message: string): Buffer;
  transfer(host: string, port: number): Buffer;
}

type TypeDef = string | [string, unknown];
type Field = { name: string; type: TypeDef };
interface Directional {
  types: Record<string, TypeDef>;
}
interface ProtocolJson {
  types: Record<string, TypeDef>;
  login: { toClient: Directional; toServer: Directional };
  configuration: { toClient: Directional; toServer: Directional };
}
interface DataIndex {
  /** Release protocol number → a minecraft-data version with a protocol description. */
  versions: Map<number, { minecraftVersion: string; protocolDir: string }>;
  dataDir: string;
}

/** A packet whose fields the gateway cannot fill in this version. */
class Unsupported extends Error {}

/**
 * The transfer packets per protocol version, read from minecraft-data on first use (a version's
 * protocol description is ~250 KiB of JSON, read asynchronously in a few milliseconds) and kept.
 * Versions minecraft-data does not describe, or whose packets have fields the gateway cannot fill,
 * get null: those clients are told to join again instead.
 */
export class TransferProtocols {
  private index: Promise<DataIndex | null> | undefined;
  private readonly loaded = new Map<number, Promise<TransferPackets | null>>();

  constructor(private readonly dataDir: string | null = locateMinecraftData()) {}

  async packets(protocolVersion: number): Promise<TransferPackets | null> {
    if (protocolVersion < FIRST_TRANSFER_PROTOCOL || protocolVersion >= SNAPSHOT_PROTOCOLS || !this.dataDir)
      return null;
    // Only versions minecraft-data describes are kept, so arbitrary numbers from clients add nothing.
    const index = await this.readIndex();
    const entry = index?.versions.get(protocolVersion);
    if (!index || !entry) return null;
    let loading = this.loaded.get(protocolVersion);
    if (!loading) {
      loading = readFile(path.join(index.dataDir, entry.protocolDir, 'protocol.json'), 'utf8')
        .then((text) =>
          buildPackets(JSON.parse(text) as ProtocolJson, protocolVersion, entry.minecraftVersion),
        )
        .catch(() => null);
      this.loaded.set(protocolVersion, loading);
    }
    return loading;
  }

  private readIndex(): Promise<DataIndex | null> {
    this.index ??= readDataIndex(this.dataDir!).catch(() => null);
    return this.index;
  }
}

/** Where minecraft-data keeps its data files, or null when it is not installed. */
function locateMinecraftData(): string | null {
  try {
    const root = path.dirname(createRequire(import.meta.url).resolve('minecraft-data/package.json'));
    return path.join(root, 'minecraft-data', 'data');
  } catch {
    return null;
  }
}

async function readDataIndex(dataDir: string): Promise<DataIndex> {
  const [paths, versions] = await Promise.all([
    readFile(path.join(dataDir, 'dataPaths.json'), 'utf8').then(
      (text) => JSON.parse(text) as { pc: Record<string, { protocol?: string }> },
    ),
    readFile(path.join(dataDir, 'pc', 'common', 'protocolVersions.json'), 'utf8').then(
      (text) => JSON.parse(text) as { minecraftVersion: string; version: number; usesNetty?: boolean }[],
    ),
  ]);
  const index = new Map<number, { minecraftVersion: string; protocolDir: string }>();
  // protocolVersions.json lists the newest first: the first release described for a number wins.
  for (const v of versions) {
    if (v.version < FIRST_TRANSFER_PROTOCOL || v.version >= SNAPSHOT_PROTOCOLS || index.has(v.version))
      continue;
    const dir = paths.pc[v.minecraftVersion]?.protocol;
    if (dir) index.set(v.version, { minecraftVersion: v.minecraftVersion, protocolDir: dir });
  }
  return { versions: index, dataDir };
}

/** The packet id and field list of `name` in one state and direction of a protocol description. */
function describe(protocol: ProtocolJson, side: Directional, name: string): { id: number; fields: Field[] } {
  const packetType = side.types.packet as [string, Field[]] | undefined;
  const [nameField, paramsField] = packetType?.[1] ?? [];
  const mappings = (nameField?.type as [string, { mappings: Record<string, string> }] | undefined)?.[1]
    ?.mappings;
  const switchFields = (paramsField?.type as [string, { fields: Record<string, string> }] | undefined)?.[1]
    ?.fields;
  const idText = mappings && Object.entries(mappings).find(([, packetName]) => packetName === name)?.[0];
  if (!idText || !switchFields?.[name]) throw new Unsupported(`no ${name} packet`);
  const typeName = switchFields[name];
  const def = side.types[typeName] ?? protocol.types[typeName];
  if (!Array.isArray(def) || def[0] !== 'container') throw new Unsupported(`${name} is not a container`);
  return { id: Number.parseInt(idText, 16), fields: def[1] as Field[] };
}

function onlyFields(fields: Field[], expected: [string, string][]): void {
  const same =
    fields.length === expected.length &&
    fields.every((f, i) => f.name === expected[i]![0] && f.type === expected[i]![1]);
  if (!same) throw new Unsupported(`unexpected fields ${JSON.stringify(fields)}`);
}

function buildPackets(
  protocol: ProtocolJson,
  protocolVersion: number,
  minecraftVersion: string,
): TransferPackets {
  const success = describe(protocol, protocol.login.toClient, 'success');
  const acknowledged = describe(protocol, protocol.login.toServer, 'login_acknowledged');
  const keepAlive = describe(protocol, protocol.configuration.toClient, 'keep_alive');
  const disconnect = describe(protocol, protocol.configuration.toClient, 'disconnect');
  const transfer = describe(protocol, protocol.configuration.toClient, 'transfer');
  onlyFields(keepAlive.fields, [['keepAliveId', 'i64']]);
  onlyFields(transfer.fields, [
    ['host', 'string'],
    ['port', 'varint'],
  ]);
  const reason = disconnect.fields.length === 1 ? disconnect.fields[0]!.type : undefined;
  if (reason !== 'anonymousNbt' && reason !== 'string')
    throw new Unsupported(`disconnect reason is ${JSON.stringify(reason)}`);
  // Login Success: the player's id and name, no profile properties, and any later flag false.
  const successEncoders = success.fields.map((field): ((username: string) => Buffer) => {
    if (field.type === 'UUID') return (username) => offlineUuid(username);
    if (field.type === 'string' && field.name === 'username') return (username) => mcString(username);
    if (Array.isArray(field.type) && field.type[0] === 'array') return () => varInt(0);
    if (field.type === 'bool') return () => Buffer.from([0]);
    throw new Unsupported(`login success field ${field.name}`);
  });
  return {
    protocolVersion,
    minecraftVersion,
    loginAcknowledgedId: acknowledged.id,
    loginSuccess: (username) => packet(success.id, ...successEncoders.map((encode) => encode(username))),
    keepAlive: (id) => {
      const body = Buffer.alloc(8);
      body.writeBigInt64BE(id);
      return packet(keepAlive.id, body);
    },
    disconnect: (message) =>
      packet(
        disconnect.id,
        reason === 'anonymousNbt' ? nbtString(message) : mcString(JSON.stringify({ text: message })),
      ),
    transfer: (host, port) => packet(transfer.id, mcString(host), varInt(port)),
  };
}

/** The id an offline-mode server gives a player: a name-based (v3) UUID of `OfflinePlayer:<name>`. */
export function offlineUuid(username: string): Buffer {
  const bytes = createHash('md5').update(`OfflinePlayer:${username}`, 'utf8').digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x30;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

/** A text component as network NBT (1.20.3+): a bare String tag, in Java's modified UTF-8. */
export function nbtString(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length && bytes.length < 65_000; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) bytes.push(c);
    else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  const head = Buffer.alloc(3);
  head[0] = 0x08;
  head.writeUInt16BE(bytes.length, 1);
  return Buffer.concat([head, Buffer.from(bytes)]);
}
