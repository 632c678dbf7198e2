import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { Io } from './context.js';
import { UsageError } from './errors.js';

const STDIN_LIMIT = 64 * 1024;

/** Everything on stdin (for --password-stdin), without its final line break. */
export async function readStdin(io: Io, what: string): Promise<string> {
  if (io.stdin.isTTY) throw new UsageError(`${what} is read from stdin, but stdin is a terminal: pipe it in`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > STDIN_LIMIT) throw new UsageError(`${what} on stdin is longer than ${STDIN_LIMIT} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${what} on stdin is empty`);
  return text;
}

/**
 * Asks a question on the terminal (stderr, so stdout stays clean). With `hidden`, typed characters
 * are not echoed: the readline output is muted after the question is written.
 */
export async function ask(
  io: Io,
  question: string,
  options: { hidden?: boolean; flag: string },
): Promise<string> {
  if (!io.stdin.isTTY)
    throw new UsageError(
      `cannot ask "${question.replace(/:\s*$/, '')}" without a terminal: pass ${options.flag}`,
    );
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) io.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  try {
    io.stderr.write(question);
    muted = options.hidden === true;
    const answer = await rl.question('');
    if (muted) io.stderr.write('\n');
    return options.hidden ? answer : answer.trim();
  } finally {
    rl.close();
  }
}
