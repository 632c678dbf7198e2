import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { downloadVerified } from './download-verified.js';

const content = Buffer.from('module.exports.server = () => {};\n'.repeat(500));
const sha256 = createHash('sha256').update(content).digest('hex');
const sha512 = createHash('sha512').update(content).digest('hex');

// Chunks arrive asynchronously, as from a socket.
async function* chunks(data: Buffer, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    await Promise.resolve();
    yield data.subarray(i, i + size);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minefleet-download-'));
  // The folder as a server has it: an older version of the plugin already installed.
  await writeFile(path.join(dir, 'hello.js'), 'old version\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Everything in the folder, names and contents. */
async function snapshot(): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(
    names.map(async (n): Promise<[string, string]> => [n, await readFile(path.join(dir, n), 'utf8')]),
  );
  return Object.fromEntries(entries);
}

async function refused(run: Promise<unknown>): Promise<DomainError> {
  const error = await run.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('downloadVerified', () => {
  it('writes the file under its name when size and hashes match, replacing the old one', async () => {
    const file = await downloadVerified(
      chunks(content),
      { sha256, sha512, sizeBytes: content.length },
      dir,
      'hello.js',
    );
    expect(file).toEqual({ path: path.join(dir, 'hello.js'), sizeBytes: content.length, sha256, sha512 });
    expect(await readdir(dir)).toEqual(['hello.js']);
    expect((await readFile(path.join(dir, 'hello.js'))).equals(content)).toBe(true);
  });

  it('accepts upper-case published hashes and a single hash', async () => {
    await downloadVerified(chunks(content), { sha512: sha512.toUpperCase() }, dir, 'a.js');
    await downloadVerified(chunks(content), { sha256 }, dir, 'b.js');
    expect((await readdir(dir)).sort()).toEqual(['a.js', 'b.js', 'hello.js']);
  });

  it.each([
    ['a wrong sha256', { sha256: '0'.repeat(64), sizeBytes: content.length }],
    ['a wrong sha512', { sha256, sha512: 'f'.repeat(128) }],
    ['a shorter file', { sha256, sizeBytes: content.length + 1 }],
    ['a longer file', { sha256, sizeBytes: content.length - 1 }],
    ['no hash at all', { sizeBytes: content.length }],
  ])('refuses %s with PLUGIN_HASH_MISMATCH and leaves the folder exactly as it was', async (_, expected) => {
    const before = await snapshot();
    const error = await refused(downloadVerified(chunks(content), expected, dir, 'hello.js'));
    expect(error.code).toBe('PLUGIN_HASH_MISMATCH');
    expect(await snapshot()).toEqual(before);
  });

  it('stops reading an endless stream at the published size', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        await Promise.resolve();
        produced += 1024;
        yield Buffer.alloc(1024);
      }
    }
    const before = await snapshot();
    const error = await refused(downloadVerified(endless(), { sha256, sizeBytes: 10_000 }, dir, 'hello.js'));
    expect(error.code).toBe('PLUGIN_HASH_MISMATCH');
    expect(produced).toBeLessThanOrEqual(11 * 1024);
    expect(await snapshot()).toEqual(before);
  });

  it('cleans up when the stream itself fails', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield await Promise.resolve(content.subarray(0, 100));
      throw new Error('connection reset');
    }
    const before = await snapshot();
    await expect(downloadVerified(broken(), { sha256 }, dir, 'hello.js')).rejects.toThrow('connection reset');
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    '../evil.js',
    'sub/evil.js',
    '..',
    '.',
    '',
    '.hidden.js',
    '/etc/cron.d/evil',
    'evil\u0000.js',
    'a\\b.js',
    'x'.repeat(300),
  ])('refuses the file name %j before writing anything', async (name) => {
    const before = await snapshot();
    const error = await refused(downloadVerified(chunks(content), { sha256 }, dir, name));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(await snapshot()).toEqual(before);
    expect(existsSync(path.join(dir, '..', 'evil.js'))).toBe(false);
  });
});
