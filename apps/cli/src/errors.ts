import { ApiError } from '@minefleet/api-client/client';

/**
 * Exit codes are part of the CLI's contract (docs/cli.md): scripts branch on them, so each failure kind
 * keeps its number.
 */
export const EXIT_CODES = {
  ok: 0,
  /** The API answered with an error (or a server reached a state the command did not want). */
  api: 1,
  /** The command line was wrong: unknown option, missing argument, bad value. */
  usage: 2,
  /** The control plane could not be reached. */
  connection: 3,
} as const;

/** An error the CLI reports as one line, with its exit code and, when there is one, a stable code. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string | undefined;

  constructor(message: string, options: { exitCode?: number; code?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? EXIT_CODES.api;
    this.code = options.code;
  }
}

/** A command line that cannot be run as written. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.usage });
    this.name = 'UsageError';
  }
}

/** The control plane did not answer at all (refused, DNS, TLS, dropped). */
export class ConnectionError extends CliError {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the Minefleet API at ${url}: ${causeText(cause)}`, {
      exitCode: EXIT_CODES.connection,
    });
    this.name = 'ConnectionError';
  }
}

/** The innermost useful message of a fetch failure ("fetch failed" alone says nothing). */
function causeText(error: unknown): string {
  let current: unknown = error;
  let text = 'unknown error';
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    if (current instanceof Error) {
      const code = (current as NodeJS.ErrnoException).code;
      text = code && !current.message.includes(code) ? `${code} ${current.message}` : current.message;
      current = current.cause;
    } else {
      text = String(current);
      break;
    }
  }
  return text;
}

/** Hints that turn an API code into the next thing to type. */
const HINTS: Partial<Record<string, string>> = {
  UNAUTHENTICATED: 'run "minefleet login" (or set MINEFLEET_TOKEN)',
  TOKEN_EXPIRED: 'run "minefleet login" again',
};

/** The one line printed for an error, and the exit code, whatever was thrown. */
/**
 * An error answer to a raw request (a download, an upload, a stream: not through the typed client), as
 * the typed client would describe it: the API's own code and message, else the HTTP status.
 */
export async function failureOf(response: Response): Promise<CliError> {
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code: string; message: string } } | undefined;
  return new CliError(body?.error?.message ?? `HTTP ${response.status}`, {
    code: body?.error?.code ?? 'INTERNAL',
  });
}

export function describeError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ApiError) {
    const hint = HINTS[error.code];
    return {
      message: `${error.code}: ${error.message}${hint ? ` (${hint})` : ''}`,
      exitCode: error.code === 'NETWORK_ERROR' ? EXIT_CODES.connection : EXIT_CODES.api,
    };
  }
  if (error instanceof CliError) {
    return {
      message: error.code ? `${error.code}: ${error.message}` : error.message,
      exitCode: error.exitCode,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `unexpected error: ${message}`, exitCode: EXIT_CODES.api };
}
