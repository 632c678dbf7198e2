import { createMinefleetClient, type MinefleetClient } from '@minefleet/api-client/client';
import { readConfig, type StoredConfig } from './config-store.js';
import { CliError, ConnectionError, UsageError } from './errors.js';
import { FORMATS, renderResult, type Format } from './output/format.js';
import { colorEnabled, createStyle, type Style } from './output/style.js';

export const DEFAULT_URL = 'http://localhost:8080';
/** An ordinary API call that takes longer than this is treated as a lost connection. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The process's streams and environment, passed in so tests can run commands in-process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

/** Options every command accepts (`--url`, `--token`, `--format`). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  format?: string;
}

/** Base URL without a trailing slash or the /api/v1 suffix people paste from the docs. */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`"${raw}" is not a URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`"${raw}" is not an http(s) URL`);
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

export function parseFormat(raw: string | undefined): Format {
  const value = raw ?? 'table';
  if (!(FORMATS as readonly string[]).includes(value))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got "${value}")`);
  return value as Format;
}

/** Everything a command needs: where the API is, who we are, how to print. */
export class Context {
  readonly client: MinefleetClient;
  readonly style: Style;
  readonly errStyle: Style;

  constructor(
    readonly io: Io,
    readonly url: string,
    readonly token: string | undefined,
    readonly format: Format,
    readonly stored: StoredConfig,
  ) {
    this.style = createStyle(colorEnabled(io.stdout, io.env));
    this.errStyle = createStyle(colorEnabled(io.stderr, io.env));
    this.client = createMinefleetClient({
      baseUrl: url,
      token,
      fetch: (input, init) => this.fetch(new Request(input, init)),
    });
  }

  /** A client of the same API with another credential (login checks a key before storing it). */
  clientWith(token: string | undefined): MinefleetClient {
    return createMinefleetClient({
      baseUrl: this.url,
      token,
      fetch: (input, init) => this.fetch(new Request(input, init)),
    });
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  /** fetch with a timeout, turning "no answer at all" into a ConnectionError (exit code 3). */
  async fetch(input: Request, options: { timeoutMs?: number | null } = {}): Promise<Response> {
    const timeoutMs = options.timeoutMs === undefined ? REQUEST_TIMEOUT_MS : options.timeoutMs;
    const signal =
      timeoutMs === null ? input.signal : AbortSignal.any([input.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      return await fetch(input, { signal });
    } catch (error) {
      if (input.signal.aborted) throw error;
      if ((error as Error).name === 'TimeoutError')
        throw new ConnectionError(this.url, new Error(`no answer within ${(timeoutMs ?? 0) / 1000}s`));
      throw new ConnectionError(this.url, error);
    }
  }

  /** The credential, or a clear error before any request is sent. */
  requireToken(): string {
    if (!this.token)
      throw new CliError(`not logged in to ${this.url} (run "minefleet login", or set MINEFLEET_TOKEN)`, {
        code: 'UNAUTHENTICATED',
      });
    return this.token;
  }

  /** Prints a result: the API's objects as json/yaml, or the command's table. */
  result(data: unknown, table: () => string): void {
    this.io.stdout.write(renderResult(this.format, data, table));
  }

  /** A line for humans on stderr (progress, notes): never mixed into json/yaml on stdout. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Plain text on stdout, for commands whose output is text (logs) rather than objects. */
  print(text: string): void {
    this.io.stdout.write(text);
  }
}

/**
 * Builds the context from, in order of precedence: the command line, MINEFLEET_URL/MINEFLEET_TOKEN,
 * the stored config. A stored token is only sent to the URL it was stored for, so `--url` pointing at
 * another host never leaks it there.
 */
export async function createContext(io: Io, options: GlobalOptions): Promise<Context> {
  const format = parseFormat(options.format);
  const stored = await readConfig(io.env);
  const url = normalizeUrl(options.url ?? io.env.MINEFLEET_URL ?? stored.url ?? DEFAULT_URL);
  const storedToken = stored.url && normalizeUrl(stored.url) === url ? stored.token : undefined;
  const token = options.token ?? (io.env.MINEFLEET_TOKEN || undefined) ?? storedToken;
  return new Context(io, url, token, format, stored);
}
