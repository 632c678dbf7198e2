import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';

/**
 * The behaviour every BackupStore must have, run against each adapter by its own test file (as Hono
 * runs `router/common.case.test.ts` against each router). A new adapter passes this or is not done.
 */
export interface StoreUnderTest {
  store: BackupStore;
  /** Largest body size the adapter treats in one piece (e.g. S3 part size), to test bodies past it. */
  chunkThreshold: number;
  cleanup(): Promise<void>;
}

export function runBackupStoreConformance(name: string, create: () => Promise<StoreUnderTest>): void {
  describe(`BackupStore conformance: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: BackupStore;
    // Each test works under its own prefix so tests stay independent within one store.
    const scope = (): string => `t${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      subject = await create();
      store = subject.store;
    });
    afterAll(async () => {
      await subject.cleanup();
    });

    it('puts a body and gets the same bytes back, with its size', async () => {
      const key = `${scope()}/server-1/backup.tar.gz`;
      const body = randomBytes(300_000);
      const { sizeBytes } = await store.put(key, chunks(body, 7_000));
      expect(sizeBytes).toBe(body.length);
      expect(Buffer.compare(await readAll(await store.get(key)), body)).toBe(0);
      const stat = await store.stat(key);
      expect(stat?.sizeBytes).toBe(body.length);
      expect(stat?.modifiedAt).toBeInstanceOf(Date);
      expect(Math.abs(stat!.modifiedAt.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it('streams a body larger than one part and returns it intact', async () => {
      const key = `${scope()}/big.tar.zst`;
      const size = subject.chunkThreshold * 2 + 123_457;
      const expected = createHash('sha256');
      const { sizeBytes } = await store.put(
        key,
        generated(size, 1 << 20, (c) => expected.update(c)),
      );
      expect(sizeBytes).toBe(size);
      const actual = createHash('sha256');
      let read = 0;
      for await (const chunk of await store.get(key)) {
        actual.update(chunk);
        read += chunk.length;
      }
      expect(read).toBe(size);
      expect(actual.digest('hex')).toBe(expected.digest('hex'));
    });

    it('stores an empty body', async () => {
      const key = `${scope()}/empty`;
      expect((await store.put(key, chunks(Buffer.alloc(0), 1))).sizeBytes).toBe(0);
      expect((await readAll(await store.get(key))).length).toBe(0);
      expect((await store.stat(key))?.sizeBytes).toBe(0);
    });

    it('answers BACKUP_NOT_FOUND for a missing key and null from stat', async () => {
      const key = `${scope()}/missing.tar`;
      await expect(store.get(key)).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
      expect(await store.stat(key)).toBeNull();
    });

    it('overwrites a key with a new body', async () => {
      const key = `${scope()}/again`;
      await store.put(key, chunks(Buffer.from('first version'), 4));
      await store.put(key, chunks(Buffer.from('second'), 4));
      expect((await readAll(await store.get(key))).toString()).toBe('second');
    });

    it('deletes a key; deleting a missing key is not an error', async () => {
      const prefix = scope();
      await store.put(`${prefix}/a`, chunks(Buffer.from('a'), 1));
      await store.delete(`${prefix}/a`);
      expect(await store.stat(`${prefix}/a`)).toBeNull();
      await expect(store.get(`${prefix}/a`)).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
      await expect(store.delete(`${prefix}/a`)).resolves.toBeUndefined();
      await expect(store.delete(`${prefix}/never/was`)).resolves.toBeUndefined();
      expect(await collect(store.list(`${prefix}/`))).toEqual([]);
    });

    it('lists keys under a prefix in key order, with sizes', async () => {
      const prefix = scope();
      const keys = [
        `${prefix}/s1/b-2`,
        `${prefix}/s1/a-1`,
        `${prefix}/s2/c`,
        `${prefix}/s10/d`,
        `${prefix}-other/x`,
      ];
      for (const [i, key] of keys.entries()) await store.put(key, chunks(Buffer.alloc(i + 1, 1), 1));
      expect(await collect(store.list(`${prefix}/s1/`))).toEqual([
        { key: `${prefix}/s1/a-1`, sizeBytes: 2 },
        { key: `${prefix}/s1/b-2`, sizeBytes: 1 },
      ]);
      // A prefix may end inside a segment, as in S3.
      expect((await collect(store.list(`${prefix}/s1`))).map((e) => e.key)).toEqual([
        `${prefix}/s1/a-1`,
        `${prefix}/s1/b-2`,
        `${prefix}/s10/d`,
      ]);
      expect((await collect(store.list(`${prefix}/`))).map((e) => e.key)).toEqual([
        `${prefix}/s1/a-1`,
        `${prefix}/s1/b-2`,
        `${prefix}/s10/d`,
        `${prefix}/s2/c`,
      ]);
      expect((await collect(store.list(prefix))).map((e) => e.key)).toContain(`${prefix}-other/x`);
      expect(await collect(store.list(`${prefix}/nothing/`))).toEqual([]);
    });

    it('lists more keys than one page of a listing', async () => {
      const prefix = scope();
      const count = 1_005; // S3 pages at 1,000
      const keys = Array.from({ length: count }, (_, i) => `${prefix}/k${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, chunks(Buffer.from('x'), 1))));
      }
      const listed = await collect(store.list(`${prefix}/`));
      expect(listed.map((e) => e.key)).toEqual(keys);
    }, 120_000);

    it('leaves nothing under the key when the body fails midway', async () => {
      const key = `${scope()}/broken.tar.gz`;
      const failure = new Error('disk read failed');
      await expect(
        store.put(key, failing(subject.chunkThreshold + 1_000_000, 256 * 1024, failure)),
      ).rejects.toThrow('disk read failed');
      expect(await store.stat(key)).toBeNull();
      await expect(store.get(key)).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
      expect(await collect(store.list(key))).toEqual([]);
    });

    it('keeps the previous object when overwriting it fails', async () => {
      const key = `${scope()}/kept`;
      await store.put(key, chunks(Buffer.from('good archive'), 5));
      await expect(store.put(key, failing(50_000, 10_000, new Error('boom')))).rejects.toThrow('boom');
      expect((await readAll(await store.get(key))).toString()).toBe('good archive');
    });

    it('stops on abort and leaves nothing under the key', async () => {
      const key = `${scope()}/aborted`;
      const controller = new AbortController();
      const body = (async function* () {
        for (let i = 0; ; i++) {
          await nextTurn();
          if (i === 8) controller.abort(new Error('user cancelled'));
          yield randomBytes(256 * 1024);
          if (i > 1_000) throw new Error('abort was not honoured');
        }
      })();
      await expect(store.put(key, body, { signal: controller.signal })).rejects.toBeDefined();
      expect(await store.stat(key)).toBeNull();
      expect(await collect(store.list(key))).toEqual([]);
    });

    it('runs concurrent puts of different keys', async () => {
      const prefix = scope();
      const bodies = Array.from({ length: 4 }, () => randomBytes(100_000));
      await Promise.all(bodies.map((body, i) => store.put(`${prefix}/c${i}`, chunks(body, 9_999))));
      for (const [i, body] of bodies.entries()) {
        expect(Buffer.compare(await readAll(await store.get(`${prefix}/c${i}`)), body)).toBe(0);
      }
    });

    it.each([
      ['empty', ''],
      ['absolute', '/etc/passwd'],
      ['parent traversal', '../outside'],
      ['inner traversal', 'a/../../b'],
      ['dot segment', 'a/./b'],
      ['empty segment', 'a//b'],
      ['hidden segment', 'a/.incoming/x'],
      ['backslash', 'a\\..\\b'],
      ['NUL byte', 'a\u0000b'],
      ['newline', 'a\nb'],
      ['trailing slash', 'a/b/'],
      ['too long', 'k'.repeat(600)],
    ])('refuses an invalid key (%s) with VALIDATION_FAILED', async (_label, key) => {
      await expect(store.put(key, chunks(Buffer.from('x'), 1))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.get(key)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.stat(key)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.delete(key)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('passes its health check', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}

async function* chunks(buffer: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < buffer.length; offset += size) {
    await nextTurn(); // a real source yields to the event loop between chunks
    yield buffer.subarray(offset, offset + size);
  }
  if (buffer.length === 0) await nextTurn();
}

/** `total` pseudo-random bytes made on the fly (never held whole), reported to `seen` as produced. */
async function* generated(
  total: number,
  size: number,
  seen: (chunk: Buffer) => void,
): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < total; offset += size) {
    await nextTurn();
    const chunk = randomBytes(Math.min(size, total - offset));
    seen(chunk);
    yield chunk;
  }
}

async function* failing(after: number, size: number, error: Error): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < after; sent += size) {
    await nextTurn();
    yield randomBytes(size);
  }
  throw error;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
