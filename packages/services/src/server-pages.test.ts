import { describe, expect, it } from 'vitest';
import { ServerPages } from './server-pages.js';

describe('ServerPages', () => {
  const keyA = ServerPages.key('tA', 'u1', '[1,20]');
  const keyB = ServerPages.key('tB', 'u2', '[1,20]');

  it('keeps a page per tenant, user and query until a write to that tenant', () => {
    const pages = new ServerPages();
    pages.remember('tA', keyA, 'page of A', pages.seen());
    pages.remember('tB', keyB, 'page of B', pages.seen());
    expect(pages.get(keyA)).toBe('page of A');
    // Another user of A, the same query: a key of its own (not filled by A's u1).
    expect(pages.get(ServerPages.key('tA', 'u3', '[1,20]'))).toBeUndefined();
    pages.changed('tA');
    expect(pages.get(keyA)).toBeUndefined();
    expect(pages.get(keyB)).toBe('page of B');
    pages.changed('*');
    expect(pages.get(keyB)).toBeUndefined();
  });

  it('refuses a page read while a write to its tenant committed', () => {
    const pages = new ServerPages();
    const seen = pages.seen();
    pages.changed('tA'); // committed while the read was under way
    pages.remember('tA', keyA, 'maybe stale', seen);
    expect(pages.get(keyA)).toBeUndefined();
    // A write to another tenant meanwhile does not matter; '*' does.
    const again = pages.seen();
    pages.changed('tB');
    pages.remember('tA', keyA, 'fresh', again);
    expect(pages.get(keyA)).toBe('fresh');
    const third = pages.seen();
    pages.changed('*');
    pages.remember('tA', keyA, 'maybe stale', third);
    expect(pages.get(keyA)).toBeUndefined();
  });

  it('holds at most maxPages pages, and stays safe once it stops tracking tenants one by one', () => {
    const pages = new ServerPages(2, 1);
    for (const t of ['t1', 't2', 't3']) pages.remember(t, ServerPages.key(t, 'u', 'q'), t, pages.seen());
    expect(pages.size).toBe(2);
    expect(pages.get(ServerPages.key('t1', 'u', 'q'))).toBeUndefined();
    const seen = pages.seen();
    pages.changed('t2');
    pages.changed('t3'); // past maxTenants: treated as a change to every tenant
    pages.remember('t2', ServerPages.key('t2', 'u', 'q'), 'stale', seen);
    expect(pages.get(ServerPages.key('t2', 'u', 'q'))).toBeUndefined();
    expect(pages.size).toBe(0);
  });
});
