// The control plane's client of the in-pod agent of Minefleet's game image
// (deploy/docker/flying-squid/minefleet-agent.mjs), for what is asked once per connection: the files
// port (ServerFiles) of servers on Kubernetes, and the one-shot `stats` and `logs` questions (the live
// console is ConsoleConnection.connectAgent). A files call goes to the running server's agent, where the
// local adapter does the work on the pod's data volume, so containment, atomic writes and error codes
// are the local runtime's. One connection per call: the proof and the call on the first line, then for
// `write` and `writeAt` the bytes; the answer a JSON line, then for `read` and `readStream` the bytes.
// A stopped server's volume is reached through a maintenance pod the driver holds for the call.
import net from 'node:net';
import { DomainError, ERROR_CODES, type ErrorCode } from '@minefleet/domain/errors';
import type {
  DirEntry,
  DirName,
  FileStat,
  ServerFiles,
  WriteOptions,
} from '@minefleet/domain/ports/server-files';

export interface AgentLocation {
  address: { host: string; port: number };
  password: string;
}

/** The longest answer line taken (a listing of a big folder): longer is refused. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 60_000;

type Header = Record<string, unknown> & { type: string };

/** One call's connection: the answer's header line, and the bytes after it. */
export interface Answer {
  header: Header;
  body: AsyncIterable<Buffer>;
}

/**
 * What a connection asks: `files` (a port call), `stats` or `logs` (with its query), `archive` (the backup
 * engine: agent-archives.ts).
 */
export type Request =
  | { then: 'files'; method: string; args: unknown[] }
  | { then: 'stats' }
  | { then: 'logs'; query: Record<string, unknown> }
  | { then: 'archive'; method: 'measure' | 'create' | 'restore'; [option: string]: unknown };

/** The agent's error answer as an error: the port's or engine's own code, or the agent failing. */
export function agentError(where: string, header: Record<string, unknown>): Error {
  const code = typeof header['code'] === 'string' ? header['code'] : 'INTERNAL';
  const message = typeof header['message'] === 'string' ? header['message'] : undefined;
  const details = header['details'] && typeof header['details'] === 'object' ? header['details'] : undefined;
  return (ERROR_CODES as readonly string[]).includes(code)
    ? new DomainError(code as ErrorCode, message, details as Record<string, unknown> | undefined)
    : new Error(`${where}: refused: ${message ?? code}`);
}

/**
 * One call: the proof and the request on the first line, then `body`; resolves with the answer's line and
 * the bytes after it. `signal` ends the connection (and fails what reads it) when it aborts.
 */
export function call(
  at: AgentLocation,
  request: Request,
  body?: Uint8Array | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<Answer> {
  const where = `agent ${at.address.host}:${at.address.port}`;
  return new Promise<Answer>((resolve, reject) => {
    const socket = net.connect(at.address);
    let buffered = Buffer.alloc(0);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`${where}: no answer within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    socket.once('error', fail);
    socket.once('close', () => fail(new Error(`${where}: closed before it answered`)));
    if (signal) {
      const abort = () => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error('aborted');
        fail(reason);
        socket.destroy(reason);
      };
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      socket.once('close', () => signal.removeEventListener('abort', abort));
    }
    // A call that goes quiet for a minute (no byte either way) is given up.
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      const error = new Error(`${where}: nothing for ${IDLE_TIMEOUT_MS / 1000} s`);
      fail(error);
      socket.destroy(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.write(JSON.stringify({ op: 'auth', token: at.password, ...request }) + '\n');
      void send(socket, body).catch((error: Error) => fail(error));
    });
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(10);
      if (end < 0) {
        if (buffered.length > MAX_HEADER_BYTES) fail(new Error(`${where}: answer line over 64 MiB`));
        return;
      }
      socket.off('data', onData);
      socket.pause();
      let header: Header | undefined;
      try {
        header = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Header;
      } catch {
        header = undefined;
      }
      // The agent answers with the port's own codes; anything else is the agent failing.
      if (header?.type === 'error') return fail(agentError(where, header));
      if (header?.type !== request.then) return fail(new Error(`${where}: an answer it could not read`));
      settled = true;
      socket.removeAllListeners('close');
      resolve({ header, body: rest(socket, buffered.subarray(end + 1)) });
    };
    socket.on('data', onData);
  });
}

async function send(socket: net.Socket, body: Uint8Array | AsyncIterable<Uint8Array> | undefined) {
  if (body === undefined) return void socket.end();
  if (body instanceof Uint8Array) return void socket.end(body);
  for await (const chunk of body)
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  socket.end();
}

async function* rest(socket: net.Socket, first: Buffer): AsyncIterable<Buffer> {
  try {
    if (first.length > 0) yield first;
    socket.resume();
    for await (const chunk of socket) yield chunk as Buffer;
  } finally {
    socket.destroy();
  }
}

/** The answer line of a call that sends nothing after it (reading to the end closes the connection). */
async function answerLine(answer: Promise<Answer>): Promise<Header> {
  const { header, body } = await answer;
  for await (const _ of body) {
    // nothing follows the answer line
  }
  return header;
}

export async function result<T>(answer: Promise<Answer>): Promise<T> {
  return (await answerLine(answer))['result'] as T;
}

/** One question to the agent (`stats`, or `logs` with its query): its answer line. */
export function askAgent(
  at: AgentLocation,
  request: { then: 'stats' } | { then: 'logs'; query: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  return answerLine(call(at, request));
}

/** An agent that reaches a server's files, held until `release` (a stopped server's maintenance pod). */
export interface HeldAgent {
  agent: AgentLocation;
  release: () => void;
}

export class AgentServerFiles implements ServerFiles {
  constructor(private readonly reach: (serverId: string) => Promise<HeldAgent>) {}

  /** One call with the server's agent, released when its answer has been read. */
  private async with<T>(serverId: string, work: (agent: AgentLocation) => Promise<T>): Promise<T> {
    const { agent, release } = await this.reach(serverId);
    try {
      return await work(agent);
    } finally {
      release();
    }
  }

  private ask<T>(serverId: string, method: string, args: unknown[]): Promise<T> {
    return this.with(serverId, (agent) => result<T>(call(agent, { then: 'files', method, args })));
  }

  stat(serverId: string, rel: string): Promise<FileStat | null> {
    return this.ask(serverId, 'stat', [rel]);
  }

  list(serverId: string, rel: string): Promise<DirEntry[]> {
    return this.ask(serverId, 'list', [rel]);
  }

  listNames(serverId: string, rel: string): Promise<DirName[]> {
    return this.ask(serverId, 'listNames', [rel]);
  }

  statEntries(serverId: string, rel: string, names: readonly string[]): Promise<DirEntry[]> {
    return this.ask(serverId, 'statEntries', [rel, names]);
  }

  read(serverId: string, rel: string, maxBytes: number): Promise<Uint8Array> {
    return this.with(serverId, async (agent) => {
      const { header, body } = await call(agent, { then: 'files', method: 'read', args: [rel, maxBytes] });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.length;
        if (size > maxBytes) throw new DomainError('FILE_TOO_LARGE', undefined, { path: rel, maxBytes });
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== header['bytes'])
        throw new Error(`the agent sent ${bytes.length} of ${String(header['bytes'])} bytes`);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    });
  }

  async *readStream(serverId: string, rel: string, start?: number, end?: number): AsyncIterable<Uint8Array> {
    // Held while the bytes are read (a download of a stopped server's file keeps its maintenance pod).
    const { agent, release } = await this.reach(serverId);
    try {
      const { body } = await call(agent, { then: 'files', method: 'readStream', args: [rel, start, end] });
      yield* body;
    } finally {
      release();
    }
  }

  async write(
    serverId: string,
    rel: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<FileStat> {
    return this.with(serverId, (agent) =>
      result<FileStat>(call(agent, { then: 'files', method: 'write', args: [rel, options] }, data)),
    );
  }

  async writeAt(
    serverId: string,
    rel: string,
    offset: number,
    data: AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<number> {
    return this.with(serverId, (agent) =>
      result<number>(call(agent, { then: 'files', method: 'writeAt', args: [rel, offset, maxBytes] }, data)),
    );
  }

  mkdir(serverId: string, rel: string): Promise<void> {
    return this.ask(serverId, 'mkdir', [rel]);
  }

  rename(serverId: string, from: string, to: string, overwrite?: boolean): Promise<void> {
    return this.ask(serverId, 'rename', [from, to, overwrite === true]);
  }

  copy(serverId: string, from: string, to: string): Promise<void> {
    return this.ask(serverId, 'copy', [from, to]);
  }

  remove(serverId: string, rel: string): Promise<void> {
    return this.ask(serverId, 'remove', [rel]);
  }

  chmod(serverId: string, rel: string, mode: number): Promise<void> {
    return this.ask(serverId, 'chmod', [rel, mode]);
  }
}
