import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/**
 * The files API (docs/files.md) over a stopped flying-squid server's folder: path safety (a list of
 * hostile paths, links out of the folder, the platform's files), atomic ETag-checked saves, versions,
 * trash, search, moves, copies, chmod, downloads, roles and the audit trail.
 */
describe.each(testBackends().slice(0, 1))('files API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let other: SignedUp;
  let viewer: string;
  let operator: string;
  let serverId: string;
  let folder: string;
  const q = (p: string) => encodeURIComponent(p);
  const put = (p: string, body: unknown, token: string, headers: Record<string, string> = {}) =>
    api.request('PUT', `/api/v1/servers/${serverId}/files/content?path=${q(p)}`, { token, body, headers });

  const session = async (role: string) => {
    const user = await api.signup(role);
    await api.post('/members', { email: user.email, role }, owner.token);
    const login = await api.post('/auth/login', {
      email: user.email,
      password: user.password,
      tenant_id: owner.tenantId,
    });
    return login.body.token as string;
  };

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
    owner = await api.signup('files-owner');
    other = await api.signup('files-other');
    [viewer, operator] = [await session('viewer'), await session('operator')];
    const res = await api.post(
      '/servers',
      { name: 'filed', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    expect(res.status).toBe(202);
    serverId = res.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
    folder = path.join(cp.dataDir, 'servers', serverId);
    // What a hostile user (or a plugin) could have left in the folder: links out of it.
    await symlink('/etc', path.join(folder, 'etc-link'));
    await symlink('/etc/hostname', path.join(folder, 'hostname-link'));
    await symlink('..', path.join(folder, 'up-link'));
    await symlink(path.dirname(folder), path.join(folder, 'servers-link'));
    await mkdir(path.join(folder, 'nested'), { recursive: true });
    await symlink('../../', path.join(folder, 'nested', 'escape'));
    await writeFile(path.join(folder, 'inside.txt'), 'inside\n');
    await symlink('inside.txt', path.join(folder, 'inside-link'));
  });
  afterAll(async () => {
    await cp?.close();
  });

  const HOSTILE = [
    '..',
    '../',
    '../..',
    '../../etc/passwd',
    '../../../../../../etc/passwd',
    'plugins/../../secret',
    'plugins/../..',
    'a/b/../../..',
    './../x',
    './/..//x',
    '/etc/passwd',
    '/',
    '//etc/passwd',
    '/root/.ssh/id_rsa',
    '~/.ssh/id_rsa',
    '~root',
    'C:\\Windows\\win.ini',
    'C:/Windows/win.ini',
    'c:',
    '..\\..\\etc\\passwd',
    'plugins\\..\\..\\x',
    '\\\\server\\share',
    'a\\b',
    'file\u0000.txt',
    '\u0000',
    'plugins/\u0000/x',
    'name\nwith-newline',
    'tab\tname',
    'bell\u0007',
    'del\u007f',
    'x'.repeat(256),
    `${'a/'.repeat(40)}x`,
    `${'d'.repeat(200)}/${'e'.repeat(200)}/${'f'.repeat(200)}/${'g'.repeat(200)}/${'h'.repeat(200)}/${'i'.repeat(100)}`,
    'x'.repeat(5000),
    '.minefleet',
    '.minefleet/',
    '.minefleet/launch.json',
    '.minefleet/spec.json',
    './.minefleet/process.json',
    '.MineFleet/spec.json',
    'plugins/../.minefleet/spec.json',
    '.minefleet/files/trash',
    '.minefleet/files/versions',
    'etc-link/passwd',
    'etc-link',
    'hostname-link',
    'up-link',
    'up-link/other-server/file',
    'servers-link',
    'nested/escape',
    'nested/escape/etc',
    'nested/escape/../x',
    'servers-link/../../x',
  ];

  it('refuses every one of at least 50 hostile paths with a 4xx, on reads and writes', async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(50);
    const failures: string[] = [];
    for (const hostile of HOSTILE) {
      const attempts = [
        await api.get(`/servers/${serverId}/files/content?path=${q(hostile)}`, owner.token),
        await put(hostile, { content: 'pwned' }, owner.token, { 'if-match': '*' }),
        await api.post(`/servers/${serverId}/files/folders`, { path: `${hostile}/made` }, owner.token),
        await api.post(`/servers/${serverId}/files/copy`, { from: 'inside.txt', to: hostile }, owner.token),
      ];
      for (const [i, res] of attempts.entries()) {
        // Reading a link that stays a link but leads out is refused; writing never follows it.
        if (res.status < 400 || res.status >= 500)
          failures.push(`${i} ${JSON.stringify(hostile)} → ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing was written outside, nor inside the platform's folder.
    await expect(stat(path.join(path.dirname(folder), 'secret'))).rejects.toThrow();
    await expect(stat(path.join(folder, '.minefleet', 'launch.json', 'made'))).rejects.toThrow();
    expect((await readdir('/etc')).includes('made')).toBe(false);
    // The links are still links: a write replaced nothing they point at.
    expect(await readFile('/etc/hostname', 'utf8')).not.toContain('pwned');
  });

  it('answers stable codes for the kinds of bad path', async () => {
    const code = async (p: string) =>
      (await api.get(`/servers/${serverId}/files/content?path=${q(p)}`, owner.token)).body.error.code;
    expect(await code('../x')).toBe('INVALID_PATH');
    expect(await code('/etc/passwd')).toBe('INVALID_PATH');
    expect(await code('a\\b')).toBe('INVALID_PATH');
    // A NUL is refused by the platform-wide text guard before any route sees it.
    expect(await code('a\u0000b')).toBe('INVALID_TEXT');
    expect(await code('etc-link/passwd')).toBe('PATH_OUTSIDE_SERVER');
    expect(await code('.minefleet/spec.json')).toBe('PATH_PROTECTED');
    expect(await code('missing.txt')).toBe('FILE_NOT_FOUND');
    // A link that stays inside is followed for reads.
    const ok = await api.get(`/servers/${serverId}/files/content?path=inside-link`, viewer);
    expect(ok.status).toBe(200);
    expect(ok.body.content).toBe('inside\n');
  });

  it('lists a folder with size, mtime, type and mode, sorted and paged, without the platform folder', async () => {
    for (let i = 0; i < 5; i++) {
      const file = path.join(folder, 'nested', `f${i}.txt`);
      await writeFile(file, 'x'.repeat(i * 10));
      // The control plane in this process set a 077 umask (its data folder is private): give the file
      // the mode a game server's files usually have, which the listing must report.
      await chmod(file, 0o644);
    }
    const res = await api.get(`/servers/${serverId}/files?path=nested&sort=-size&per_page=2&page=1`, viewer);
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ page: 1, per_page: 2, total: 6 });
    expect(res.body.entries.map((e: { name: string }) => e.name)).toEqual(['f4.txt', 'f3.txt']);
    expect(res.body.entries[0]).toMatchObject({ path: 'nested/f4.txt', type: 'file', size: 40, mode: '644' });
    expect(Date.parse(res.body.entries[0].mtime)).toBeGreaterThan(Date.now() - 600_000);
    // Sorted by name, only the page's entries are stat'ed: the order still spans the pages, and the
    // entries shown carry their size, mode and type (a link as a link).
    const byName = (p: number) =>
      api.get(`/servers/${serverId}/files?path=nested&sort=-name&per_page=2&page=${p}`, viewer);
    const second = await byName(2);
    expect(second.body.pagination).toEqual({ page: 2, per_page: 2, total: 6 });
    expect(second.body.entries.map((e: { name: string }) => e.name)).toEqual(['f2.txt', 'f1.txt']);
    expect(second.body.entries[0]).toMatchObject({
      path: 'nested/f2.txt',
      type: 'file',
      size: 20,
      mode: '644',
    });
    const third = (await byName(3)).body.entries;
    expect(third.map((e: { name: string; type: string }) => [e.name, e.type])).toEqual([
      ['f0.txt', 'file'],
      ['escape', 'symlink'],
    ]);
    const root = await api.get(`/servers/${serverId}/files?sort=name`, viewer);
    const names = root.body.entries.map((e: { name: string }) => e.name);
    expect(names).not.toContain('.minefleet');
    expect(names).toContain('etc-link');
    expect(root.body.entries.find((e: { name: string }) => e.name === 'flying-squid.json')).toMatchObject({
      protection: 'read-only',
    });
    // Folders first.
    expect(root.body.entries[0].type).toBe('directory');
    expect((await api.get(`/servers/${serverId}/files?path=inside.txt`, viewer)).body.error.code).toBe(
      'FILE_TYPE_MISMATCH',
    );
  });

  it('saves atomically with ETags: a stale or missing If-Match is refused with 412 and nothing is written', async () => {
    const created = await put('config/motd.txt', { content: 'first\n' }, operator);
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag')!;
    expect(etag).toBe(created.body.etag);
    const read = await api.get(`/servers/${serverId}/files/content?path=config/motd.txt`, viewer);
    expect(read.body).toMatchObject({ content: 'first\n', encoding: 'utf-8', binary: false, etag });

    const second = await put('config/motd.txt', { content: 'second\n' }, operator, { 'if-match': etag });
    expect(second.status).toBe(200);
    const stale = await put('config/motd.txt', { content: 'lost update\n' }, operator, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('FILE_CHANGED');
    const missing = await put('config/motd.txt', { content: 'blind\n' }, operator);
    expect(missing.status).toBe(412);
    expect(await readFile(path.join(folder, 'config/motd.txt'), 'utf8')).toBe('second\n');
    const createOnly = await put('config/motd.txt', { content: 'x' }, operator, { 'if-none-match': '*' });
    expect(createOnly.body.error.code).toBe('FILE_EXISTS');
    // No temporary file is left beside it.
    expect(await readdir(path.join(folder, 'config'))).toEqual(['motd.txt']);
  });

  it('keeps the encoding it detected (ISO-8859-1 stays ISO-8859-1) and shows binary files as binary', async () => {
    await writeFile(path.join(folder, 'latin.properties'), Buffer.from('motd=Caf\xe9\n', 'latin1'));
    const read = await api.get(`/servers/${serverId}/files/content?path=latin.properties`, viewer);
    expect(read.body).toMatchObject({ content: 'motd=Café\n', encoding: 'latin1' });
    const saved = await put('latin.properties', { content: 'motd=Crème\n' }, operator, {
      'if-match': read.body.etag,
    });
    expect(saved.status).toBe(200);
    expect(await readFile(path.join(folder, 'latin.properties'))).toEqual(
      Buffer.from('motd=Cr\xe8me\n', 'latin1'),
    );
    await writeFile(path.join(folder, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255]));
    const bin = await api.get(`/servers/${serverId}/files/content?path=blob.bin`, viewer);
    expect(bin.body).toMatchObject({ binary: true, content: null, size: 5 });
  });

  it('keeps versions of an edited file and reverts to one', async () => {
    let etag = (await put('notes.txt', { content: 'v1' }, operator)).body.etag;
    for (const v of ['v2', 'v3'])
      etag = (await put('notes.txt', { content: v }, operator, { 'if-match': etag })).body.etag;
    const versions = await api.get(`/servers/${serverId}/files/versions?path=notes.txt`, viewer);
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    const one = await api.get(`/servers/${serverId}/files/versions/1?path=notes.txt`, viewer);
    expect(one.body.content).toBe('v1');
    const reverted = await api.request(
      'POST',
      `/api/v1/servers/${serverId}/files/versions/1/revert?path=notes.txt`,
      {
        token: operator,
        headers: { 'if-match': etag },
      },
    );
    expect(reverted.status).toBe(200);
    expect(await readFile(path.join(folder, 'notes.txt'), 'utf8')).toBe('v1');
    const after = await api.get(`/servers/${serverId}/files/versions?path=notes.txt`, viewer);
    expect(after.body.versions[0].version).toBe(4);
    // At most 20 kept.
    let tag = reverted.body.etag;
    for (let i = 0; i < 22; i++)
      tag = (await put('notes.txt', { content: `n${i}` }, operator, { 'if-match': tag })).body.etag;
    const capped = await api.get(`/servers/${serverId}/files/versions?path=notes.txt`, viewer);
    expect(capped.body.versions).toHaveLength(20);
    expect(capped.body.versions[0].version).toBe(26);
    expect(
      (await api.get(`/servers/${serverId}/files/versions/1?path=notes.txt`, viewer)).body.error.code,
    ).toBe('FILE_VERSION_NOT_FOUND');
  });

  it('deletes to the trash, lists it, restores it, and purges (admin only)', async () => {
    await put('world-notes/a.txt', { content: 'keep me' }, operator);
    const del = await api.delete(`/servers/${serverId}/files?path=world-notes`, operator);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ path: 'world-notes', type: 'directory' });
    expect(Date.parse(del.body.expires_at) - Date.parse(del.body.deleted_at)).toBe(7 * 86_400_000);
    await expect(stat(path.join(folder, 'world-notes'))).rejects.toThrow();
    const trash = await api.get(`/servers/${serverId}/files/trash`, viewer);
    expect(trash.body.items.map((i: { id: string }) => i.id)).toContain(del.body.id);
    const restored = await api.post(`/servers/${serverId}/files/trash/${del.body.id}/restore`, {}, operator);
    expect(restored.status).toBe(200);
    expect(await readFile(path.join(folder, 'world-notes/a.txt'), 'utf8')).toBe('keep me');
    const again = await api.delete(`/servers/${serverId}/files?path=world-notes/a.txt`, operator);
    expect((await api.delete(`/servers/${serverId}/files/trash/${again.body.id}`, operator)).status).toBe(
      403,
    );
    expect((await api.delete(`/servers/${serverId}/files/trash/${again.body.id}`, owner.token)).status).toBe(
      204,
    );
    const gone = await api.post(`/servers/${serverId}/files/trash/${again.body.id}/restore`, {}, operator);
    expect(gone.body.error.code).toBe('TRASH_ITEM_NOT_FOUND');
    expect(
      (await api.delete(`/servers/${serverId}/files?path=flying-squid.json`, operator)).body.error.code,
    ).toBe('PATH_PROTECTED');
  });

  it('creates folders, moves, copies and chmods', async () => {
    expect(
      (await api.post(`/servers/${serverId}/files/folders`, { path: 'maps/old' }, operator)).status,
    ).toBe(201);
    expect(
      (await api.post(`/servers/${serverId}/files/folders`, { path: 'maps/old' }, operator)).body.error.code,
    ).toBe('FILE_EXISTS');
    await put('maps/old/readme.txt', { content: 'map' }, operator);
    const copy = await api.post(
      `/servers/${serverId}/files/copy`,
      { from: 'maps/old', to: 'maps/copy' },
      operator,
    );
    expect(copy.status).toBe(201);
    expect(await readFile(path.join(folder, 'maps/copy/readme.txt'), 'utf8')).toBe('map');
    const move = await api.post(
      `/servers/${serverId}/files/move`,
      { from: 'maps/copy', to: 'maps/new' },
      operator,
    );
    expect(move.status).toBe(200);
    expect(move.body).toMatchObject({ path: 'maps/new', type: 'directory' });
    const clash = await api.post(
      `/servers/${serverId}/files/move`,
      { from: 'maps/new', to: 'maps/old' },
      operator,
    );
    expect(clash.body.error.code).toBe('FILE_EXISTS');
    const into = await api.post(
      `/servers/${serverId}/files/move`,
      { from: 'maps', to: 'maps/new/inner' },
      operator,
    );
    expect(into.status).toBe(400);
    const chmod = await api.post(
      `/servers/${serverId}/files/chmod`,
      { path: 'maps/new/readme.txt', mode: '640' },
      operator,
    );
    expect(chmod.body.mode).toBe('640');
    expect((await stat(path.join(folder, 'maps/new/readme.txt'))).mode & 0o777).toBe(0o640);
    const locked = await api.post(
      `/servers/${serverId}/files/chmod`,
      { path: 'maps/new/readme.txt', mode: '444' },
      operator,
    );
    expect(locked.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('searches by name and by content, bounded', async () => {
    await put('plugins/Essentials/config.yml', { content: 'motd: hello\nspawn-protection: 16\n' }, operator);
    const byName = await api.get(`/servers/${serverId}/files/search?q=config.YML`, viewer);
    expect(byName.body.hits.map((h: { path: string }) => h.path)).toContain('plugins/Essentials/config.yml');
    const byContent = await api.get(
      `/servers/${serverId}/files/search?q=SPAWN-protection&content=true`,
      viewer,
    );
    expect(byContent.body.hits).toContainEqual(
      expect.objectContaining({
        path: 'plugins/Essentials/config.yml',
        line: 2,
        preview: 'spawn-protection: 16',
      }),
    );
    const limited = await api.get(`/servers/${serverId}/files/search?q=f&limit=1`, viewer);
    expect(limited.body.hits).toHaveLength(1);
    expect(limited.body.truncated).toBe(true);
    // The platform's folder is never searched.
    const hidden = await api.get(`/servers/${serverId}/files/search?q=spec.json`, viewer);
    expect(hidden.body.hits).toEqual([]);
  });

  it('downloads a file with the header or a download link bound to that file', async () => {
    const direct = await api.request('GET', `/api/v1/servers/${serverId}/files/download?path=blob.bin`, {
      token: viewer,
    });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-length')).toBe('5');
    const link = await api.post(`/servers/${serverId}/files/download-link`, { path: 'blob.bin' }, viewer);
    expect(link.status).toBe(200);
    const res = await fetch(`${cp.url}${link.body.url}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 3, 255]));
    // The same token for another path is refused.
    const token = new URL(link.body.url, cp.url).searchParams.get('token')!;
    const other = await fetch(
      `${cp.url}/api/v1/servers/${serverId}/files/download?path=inside.txt&token=${token}`,
    );
    expect(other.status).toBe(401);
  });

  it('enforces roles and tenants, and audits every change with its path', async () => {
    expect((await put('v.txt', { content: 'x' }, viewer)).status).toBe(403);
    expect((await api.delete(`/servers/${serverId}/files?path=inside.txt`, viewer)).status).toBe(403);
    expect((await api.get(`/servers/${serverId}/files`, other.token)).body.error.code).toBe(
      'SERVER_NOT_FOUND',
    );
    const rows = await cp.db.database.system((tx) =>
      tx.query.auditEvents.findMany({ where: (a, { eq }) => eq(a.serverId, serverId) }),
    );
    const writes = rows.filter((r) => r.action === 'file.write' && r.outcome === 'success');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.map((r) => (r.details as { path?: string }).path)).toContain('config/motd.txt');
    expect(
      rows.some((r) => r.action === 'file.delete' && (r.details as { path?: string }).path === 'world-notes'),
    ).toBe(true);
  });

  it('saves server.properties as a settings change (admin only; invalid values refused, nothing written)', async () => {
    const body = 'motd=Edited through files\npvp=false\n';
    const asOperator = await put('server.properties', { content: body }, operator);
    expect(asOperator.status).toBe(403);
    const bad = await put('server.properties', { content: 'difficulty=nightmare\n' }, owner.token);
    expect(bad.body.error.code).toBe('INVALID_PROPERTY');
    await expect(stat(path.join(folder, 'server.properties'))).rejects.toThrow();
    const saved = await put('server.properties', { content: body }, owner.token);
    expect(saved.status).toBe(201);
    const server = await api.get(`/servers/${serverId}`, owner.token);
    expect(server.body.server_properties).toMatchObject({ motd: 'Edited through files', pvp: false });
  });

  it('edits a YAML config through the structured API: unchanged is byte-identical, one value changes one line', async () => {
    const yaml =
      '# Spigot\nsettings:\n  debug: false   # noisy\n  timeout-time: 60\nmessages:\n  whitelist: "You are not whitelisted!"\n';
    await writeFile(path.join(folder, 'spigot.yml'), yaml);
    const read = await api.get(`/servers/${serverId}/files/config?path=spigot.yml`, viewer);
    expect(read.body).toMatchObject({
      format: 'yaml',
      values: { settings: { debug: false, 'timeout-time': 60 } },
    });
    const same = await api.request('PATCH', `/api/v1/servers/${serverId}/files/config?path=spigot.yml`, {
      token: operator,
      body: { set: [{ key: ['settings', 'timeout-time'], value: 60 }] },
      headers: { 'if-match': read.body.etag },
    });
    expect(same.body.changed).toBe(false);
    expect(await readFile(path.join(folder, 'spigot.yml'), 'utf8')).toBe(yaml);
    const changed = await api.request('PATCH', `/api/v1/servers/${serverId}/files/config?path=spigot.yml`, {
      token: operator,
      body: { set: [{ key: ['settings', 'debug'], value: true }] },
      headers: { 'if-match': read.body.etag },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(await readFile(path.join(folder, 'spigot.yml'), 'utf8')).toBe(
      yaml.replace('debug: false', 'debug: true'),
    );
    const stale = await api.request('PATCH', `/api/v1/servers/${serverId}/files/config?path=spigot.yml`, {
      token: operator,
      body: { set: [{ key: ['settings', 'debug'], value: false }] },
      headers: { 'if-match': read.body.etag },
    });
    expect(stale.status).toBe(412);
    // The structured save is a version like any other.
    const versions = await api.get(`/servers/${serverId}/files/versions?path=spigot.yml`, viewer);
    expect(versions.body.versions).toHaveLength(2);
  });
});
