import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Server } from '@minefleet/api-client/client';
import { appContextMap } from '../../lib/app-context.js';
import { ServerStore } from '../../lib/live/server-store.svelte.js';
import { fakeApi, testApp, type Recorded } from '../../test-helpers.js';
import FilesTab from './FilesTab.svelte';

/**
 * The Files tab against the files API contract (docs/files.md), answered by a small in-memory folder
 * that keeps ETags, a trash and resumable uploads the way the API does. The browser test
 * (test/dashboard/files.e2e.test.ts) runs the same tab against the real control plane.
 */
const ID = '66666666-6666-4666-8666-666666666666';
const BASE = `/api/v1/servers/${ID}/files`;
const me = (role: string) => ({
  user: { id: 'u', email: 'a@b.co', display_name: '', created_at: '', is_platform_admin: false },
  tenant: { id: 't', name: 'T', created_at: '' },
  role,
  tenants: [],
  quota: { servers: { used: 1, limit: 10 }, memory_mb: { used: 0, limit: 1 } },
});

interface Node {
  type: 'file' | 'directory';
  content: string;
  version: number;
}

function folder(role: string) {
  const nodes = new Map<string, Node>([
    ['plugins', { type: 'directory', content: '', version: 1 }],
    ['plugins/readme.txt', { type: 'file', content: 'plugins go here\n', version: 1 }],
    ['server.properties', { type: 'file', content: 'motd=A Minecraft Server\n', version: 1 }],
    ['world.zip', { type: 'file', content: 'PK', version: 1 }],
    ['big.log', { type: 'file', content: 'x'.repeat(5000), version: 1 }],
  ]);
  const trash: { id: string; path: string; node: Node }[] = [];
  const uploads = new Map<string, { path: string; size: number; data: string }>();
  const query = (r: Recorded) => new URL(r.path, 'http://x').searchParams;
  const etag = (path: string) => `"${path}-v${nodes.get(path)!.version}"`;
  const entry = (path: string) => {
    const n = nodes.get(path)!;
    return {
      name: path.slice(path.lastIndexOf('/') + 1),
      path,
      type: n.type,
      size: n.type === 'file' ? n.content.length : 4096,
      mtime: '2026-12-01T10:00:00.000Z',
      mode: '644',
      protection: null,
    };
  };
  const text = (path: string) => ({
    path,
    size: nodes.get(path)!.content.length,
    mtime: '2026-12-01T10:00:00.000Z',
    etag: etag(path),
    binary: false,
    content: nodes.get(path)!.content,
    encoding: 'utf-8',
  });
  const childrenOf = (dir: string) =>
    [...nodes.keys()].filter(
      (p) => (dir ? p.startsWith(`${dir}/`) : true) && !p.slice(dir ? dir.length + 1 : 0).includes('/'),
    );
  const notFound = { status: 404, body: { error: { code: 'FILE_NOT_FOUND', message: 'No such file.' } } };

  const api = fakeApi({
    'GET /api/v1/me': { body: me(role) },
    [`GET ${BASE}`]: (r) => {
      const q = query(r);
      const sort = q.get('sort') ?? 'name';
      const key = sort.replace('-', '') as 'name' | 'size';
      const all = childrenOf(q.get('path') ?? '').map(entry);
      const direction = sort.startsWith('-') ? -1 : 1;
      // Folders first, whatever the order.
      all.sort((a, b) =>
        a.type !== b.type ? (a.type === 'directory' ? -1 : 1) : (a[key] < b[key] ? -1 : 1) * direction,
      );
      const page = Number(q.get('page') ?? 1);
      const perPage = Number(q.get('per_page') ?? 100);
      return {
        body: {
          path: q.get('path') ?? '',
          entries: all.slice((page - 1) * perPage, page * perPage),
          pagination: { page, per_page: perPage, total: all.length },
        },
      };
    },
    [`GET ${BASE}/content`]: (r) =>
      nodes.has(query(r).get('path')!) ? { body: text(query(r).get('path')!) } : notFound,
    [`PUT ${BASE}/content`]: (r) => {
      const path = query(r).get('path')!;
      const ifMatch = r.headers.get('if-match');
      const existing = nodes.get(path);
      if (existing && ifMatch !== '*' && ifMatch !== etag(path)) {
        return { status: 412, body: { error: { code: 'FILE_CHANGED', message: 'The file changed.' } } };
      }
      if (!existing && ifMatch) return notFound;
      nodes.set(path, {
        type: 'file',
        content: (r.body as { content: string }).content,
        version: (existing?.version ?? 0) + 1,
      });
      return { status: existing ? 200 : 201, body: text(path) };
    },
    [`POST ${BASE}/folders`]: (r) => {
      const path = (r.body as { path: string }).path;
      nodes.set(path, { type: 'directory', content: '', version: 1 });
      return { status: 201, body: entry(path) };
    },
    [`POST ${BASE}/move`]: (r) => {
      const { from, to } = r.body as { from: string; to: string };
      nodes.set(to, nodes.get(from)!);
      nodes.delete(from);
      return { body: entry(to) };
    },
    [`POST ${BASE}/copy`]: (r) => {
      const { from, to } = r.body as { from: string; to: string };
      nodes.set(to, { ...nodes.get(from)! });
      return { status: 201, body: entry(to) };
    },
    [`POST ${BASE}/extract`]: (r) => {
      const { to } = r.body as { to: string };
      nodes.set(to, { type: 'directory', content: '', version: 1 });
      nodes.set(`${to}/level.dat`, { type: 'file', content: 'level', version: 1 });
      return { body: { entries: 2, bytes: 5 } };
    },
    [`DELETE ${BASE}`]: (r) => {
      const path = query(r).get('path')!;
      const item = {
        id: `00000000-0000-4000-8000-00000000000${trash.length + 1}`,
        path,
        node: nodes.get(path)!,
      };
      trash.push(item);
      nodes.delete(path);
      return { body: trashItem(item) };
    },
    [`GET ${BASE}/trash`]: () => ({ body: { items: trash.map(trashItem) } }),
    [`POST ${BASE}/download-link`]: (r) => ({
      body: {
        url: `${BASE}/download?path=${encodeURIComponent((r.body as { path: string }).path)}&token=t0k`,
        expires_at: '',
      },
    }),
    [`GET ${BASE}/search`]: (r) => {
      const q = query(r).get('q')!;
      const hits = [...nodes.entries()]
        .filter(([, n]) => n.type === 'file' && n.content.includes(q))
        .map(([path, n]) => ({
          path,
          type: 'file',
          size: n.content.length,
          line: 1,
          preview: n.content.split('\n')[0],
        }));
      return { body: { hits, truncated: false, visited: nodes.size } };
    },
    [`POST ${BASE}/uploads`]: (r) => {
      const { path, size } = r.body as { path: string; size: number };
      const id = `99999999-9999-4999-8999-00000000000${uploads.size + 1}`;
      uploads.set(id, { path, size, data: '' });
      return {
        status: 201,
        body: { id, path, size, offset: 0, complete: false, expires_at: '', max_chunk_bytes: 3 },
      };
    },
  });
  // Chunks: any upload id, at the offset the upload reached.
  const baseFetch = api.fetch;
  api.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const match = /\/files\/uploads\/([0-9a-f-]{36})$/.exec(new URL(request.url).pathname);
    if (request.method !== 'PATCH' || !match) return baseFetch(request);
    const upload = uploads.get(match[1]!)!;
    const chunk = await request.text();
    const offset = Number(request.headers.get('upload-offset'));
    api.requests.push({
      method: 'PATCH',
      path: new URL(request.url).pathname,
      body: chunk,
      headers: request.headers,
    });
    if (
      offset !== upload.data.length ||
      request.headers.get('content-type') !== 'application/offset+octet-stream'
    ) {
      return new Response(JSON.stringify({ error: { code: 'UPLOAD_OFFSET_MISMATCH', message: 'x' } }), {
        status: 409,
      });
    }
    upload.data += chunk;
    const complete = upload.data.length === upload.size;
    if (complete) nodes.set(upload.path, { type: 'file', content: upload.data, version: 1 });
    return new Response(
      JSON.stringify({
        id: match[1],
        path: upload.path,
        size: upload.size,
        offset: upload.data.length,
        complete,
        expires_at: '',
        max_chunk_bytes: 3,
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );
  };
  function trashItem(item: { id: string; path: string; node: Node }) {
    return {
      id: item.id,
      path: item.path,
      type: item.node.type,
      size: item.node.content.length,
      deleted_at: '2026-12-01T10:00:00.000Z',
      expires_at: '2026-12-08T10:00:00.000Z',
      deleted_by: 'u',
    };
  }
  /** Something else saves a file (the game, another person): its ETag moves on. */
  const touch = (path: string, content: string) => {
    const n = nodes.get(path)!;
    nodes.set(path, { ...n, content, version: n.version + 1 });
  };
  return { api, nodes, trash, touch };
}

async function mount(role = 'owner', perPage?: number) {
  const fake = folder(role);
  // Restores are answered here: they need the trash the folder keeps.
  const restoring = fake.api.fetch;
  fake.api.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const purge = /\/files\/trash\/([0-9a-f-]{36})$/.exec(new URL(request.url).pathname);
    if (purge && request.method === 'DELETE') {
      fake.api.requests.push({
        method: 'DELETE',
        path: new URL(request.url).pathname,
        body: undefined,
        headers: request.headers,
      });
      fake.trash.splice(
        fake.trash.findIndex((t) => t.id === purge[1]),
        1,
      );
      return new Response(null, { status: 204 });
    }
    const match = /\/files\/trash\/([0-9a-f-]{36})\/restore$/.exec(new URL(request.url).pathname);
    if (!match) return restoring(request);
    fake.api.requests.push({
      method: 'POST',
      path: new URL(request.url).pathname,
      body: undefined,
      headers: request.headers,
    });
    const i = fake.trash.findIndex((t) => t.id === match[1]);
    const [item] = fake.trash.splice(i, 1);
    fake.nodes.set(item!.path, item!.node);
    return new Response(
      JSON.stringify({
        id: item!.id,
        path: item!.path,
        type: 'file',
        size: 0,
        deleted_at: '',
        expires_at: '',
        deleted_by: 'u',
      }),
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
      },
    );
  };
  const app = testApp(fake.api.fetch, { token: 't' });
  await app.session.refresh();
  const store = new ServerStore({ api: app.session.api, source: app.hub().ready, serverId: ID });
  store.server = {
    id: ID,
    name: 'survival',
    status: 'stopped',
    minecraft_version: '1.20.2',
    distribution: 'flying-squid',
  } as Server;
  render(FilesTab, { props: { store, ...(perPage ? { perPage } : {}) }, context: appContextMap(app) });
  await screen.findByTestId('file-list');
  return Object.assign(fake, { app });
}

const row = (name: string) => screen.getByTestId(`file-${name}`);
const dialog = () => screen.getByRole('dialog');

afterEach(() => vi.restoreAllMocks());

describe('files tab', () => {
  it('lists a folder with size, type and sort; opens folders and goes back by the breadcrumb', async () => {
    const { api, app } = await mount();
    const names = () =>
      screen
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.getAttribute('data-testid'));
    expect(names()).toEqual(['file-plugins', 'file-big.log', 'file-server.properties', 'file-world.zip']);
    expect(row('big.log').textContent).toContain('4.9 KB');
    expect(row('plugins').textContent).toContain('Folder');
    await userEvent.click(screen.getByRole('button', { name: /^Size/ }));
    await vi.waitFor(() => expect(api.requests.at(-1)?.path).toContain('sort=size'));
    await userEvent.click(screen.getByRole('button', { name: /^Size/ }));
    await vi.waitFor(() => expect(names()[1]).toBe('file-big.log'));
    expect(api.requests.at(-1)?.path).toContain('sort=-size');
    expect(screen.getByRole('columnheader', { name: /Size/ }).getAttribute('aria-sort')).toBe('descending');

    await userEvent.click(within(row('plugins')).getByRole('button', { name: 'plugins/' }));
    await screen.findByTestId('file-readme.txt');
    // The folder is in the URL's query (the browser test checks reload, back and forward).
    expect(app.router.search).toBe('?path=plugins');
    const crumbs = screen.getByRole('navigation', { name: 'Folder path' });
    expect(within(crumbs).getByText('plugins').getAttribute('aria-current')).toBe('location');
    await userEvent.click(within(crumbs).getByRole('button', { name: 'Server folder' }));
    await screen.findByTestId('file-server.properties');
    expect(app.router.search).toBe('');
  });

  it('pages a big folder', async () => {
    const { api } = await mount('owner', 2);
    expect(screen.getByText('Page 1 of 2')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByTestId('file-server.properties');
    expect(api.requests.at(-1)?.path).toContain('page=2');
    expect(screen.queryByTestId('file-plugins')).toBeNull();
  });

  it('edits and saves with the ETag; a stale save says the file changed and offers reload or overwrite', async () => {
    const { api, nodes, touch } = await mount();
    await userEvent.click(
      within(row('server.properties')).getByRole('button', { name: 'server.properties' }),
    );
    const editor = (await screen.findByLabelText('Content of server.properties')) as HTMLTextAreaElement;
    await vi.waitFor(() => expect(editor.value).toBe('motd=A Minecraft Server\n'));
    await userEvent.clear(editor);
    await userEvent.type(editor, 'motd=Edited');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved server.properties.');
    const save = api.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect(save.headers.get('if-match')).toBe('"server.properties-v1"');
    expect(nodes.get('server.properties')!.content).toBe('motd=Edited');

    touch('server.properties', 'motd=Changed elsewhere');
    await userEvent.type(editor, '!');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const stale = await screen.findByTestId('stale-save');
    expect(stale.textContent).toContain('This file changed since you opened it.');
    expect(nodes.get('server.properties')!.content).toBe('motd=Changed elsewhere');
    await userEvent.click(within(stale).getByRole('button', { name: 'Reload (discard my changes)' }));
    await vi.waitFor(() => expect(editor.value).toBe('motd=Changed elsewhere'));
    expect(screen.queryByTestId('stale-save')).toBeNull();

    touch('server.properties', 'motd=Changed again');
    await userEvent.type(editor, ' + mine');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await userEvent.click(
      within(await screen.findByTestId('stale-save')).getByRole('button', {
        name: 'Overwrite with my version',
      }),
    );
    await screen.findByText('Saved server.properties.');
    expect(
      api.requests
        .filter((r) => r.method === 'PUT')
        .at(-1)!
        .headers.get('if-match'),
    ).toBe('*');
    expect(nodes.get('server.properties')!.content).toBe('motd=Changed elsewhere + mine');
  });

  it('creates a file and a folder, renames, copies and extracts', async () => {
    const { api, nodes } = await mount();
    await userEvent.click(screen.getByRole('button', { name: 'New folder' }));
    await userEvent.type(within(dialog()).getByLabelText('Folder name'), 'configs');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Create folder' }));
    await screen.findByTestId('file-configs');

    await userEvent.click(screen.getByRole('button', { name: 'New file' }));
    await userEvent.type(within(dialog()).getByLabelText('File name'), 'notes.txt');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Create and edit' }));
    await userEvent.type(await screen.findByLabelText('Content of notes.txt'), 'hello');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved notes.txt.');
    expect(
      api.requests
        .filter((r) => r.method === 'PUT')
        .at(-1)!
        .headers.get('if-none-match'),
    ).toBe('*');
    expect(nodes.get('notes.txt')!.content).toBe('hello');
    await userEvent.click(screen.getByRole('button', { name: 'Back to the folder' }));

    await userEvent.click(await screen.findByRole('button', { name: 'Rename notes.txt' }));
    const target = within(dialog()).getByLabelText('New path (from the server folder)');
    await userEvent.clear(target);
    await userEvent.type(target, 'configs/notes.txt');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Rename' }));
    await screen.findByText('Renamed notes.txt to configs/notes.txt.');
    expect(nodes.has('configs/notes.txt')).toBe(true);

    await userEvent.click(screen.getByRole('button', { name: 'Copy big.log' }));
    expect(
      (within(dialog()).getByLabelText('Path of the copy (from the server folder)') as HTMLInputElement)
        .value,
    ).toBe('big.log-copy');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Copy' }));
    await screen.findByTestId('file-big.log-copy');

    expect(within(row('server.properties')).queryByRole('button', { name: /Extract/ })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Extract world.zip' }));
    expect((within(dialog()).getByLabelText(/Extract into folder/) as HTMLInputElement).value).toBe('world');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Extract' }));
    await screen.findByText('Extracted 2 entries into world.');
    expect(api.requests.find((r) => r.path.endsWith('/extract'))?.body).toEqual({
      path: 'world.zip',
      to: 'world',
    });
  });

  it('deletes to the trash after confirming, restores from the trash, and offers purge to admins', async () => {
    const { api, nodes } = await mount();
    await userEvent.click(screen.getByRole('button', { name: 'Delete big.log' }));
    expect(nodes.has('big.log')).toBe(true);
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Move to trash' }));
    await screen.findByText(/Moved big.log to the trash/);
    expect(nodes.has('big.log')).toBe(false);
    expect(screen.queryByTestId('file-big.log')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Trash' }));
    const item = await screen.findByTestId('trash-big.log');
    expect(within(item).getByRole('button', { name: 'Remove for good: big.log' })).toBeTruthy();
    await userEvent.click(within(item).getByRole('button', { name: 'Restore big.log' }));
    await screen.findByText('The trash is empty.');
    expect(nodes.has('big.log')).toBe(true);
    expect(api.requests.some((r) => r.path.endsWith('/restore'))).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Files' }));
    await screen.findByTestId('file-big.log');

    await userEvent.click(screen.getByRole('button', { name: 'Delete world.zip' }));
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Move to trash' }));
    await screen.findByText(/Moved world.zip to the trash/);
    await userEvent.click(screen.getByRole('button', { name: 'Trash' }));
    await userEvent.click(
      within(await screen.findByTestId('trash-world.zip')).getByRole('button', {
        name: 'Remove for good: world.zip',
      }),
    );
    expect(dialog().textContent).toContain('It cannot be restored afterwards.');
    await userEvent.click(within(dialog()).getByRole('button', { name: 'Remove for good' }));
    await screen.findByText('Removed world.zip for good.');
    expect(screen.getByText('The trash is empty.')).toBeTruthy();
    expect(
      api.requests.some((r) => r.method === 'DELETE' && /\/files\/trash\/[0-9a-f-]{36}$/.test(r.path)),
    ).toBe(true);
    expect(nodes.has('world.zip')).toBe(false);
  });

  it('uploads in chunks at the offsets the API confirmed, with progress, and lists the file', async () => {
    const { api, nodes } = await mount();
    const file = new File(['abcdefgh'], 'hello.txt', { type: 'text/plain' });
    await userEvent.upload(screen.getByLabelText('Files to upload'), file);
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    await screen.findByText('Uploaded hello.txt.');
    await screen.findByTestId('file-hello.txt');
    // max_chunk_bytes is 3 here: three chunks.
    const chunks = api.requests.filter((r) => r.method === 'PATCH');
    expect(chunks.map((c) => [c.headers.get('upload-offset'), c.body])).toEqual([
      ['0', 'abc'],
      ['3', 'def'],
      ['6', 'gh'],
    ]);
    expect(nodes.get('hello.txt')!.content).toBe('abcdefgh');
    const progress = screen.getByLabelText('hello.txt') as HTMLProgressElement;
    expect(progress.value).toBe(8);
    expect(progress.max).toBe(8);
  });

  it('downloads through a download link, folders as an archive of the chosen format', async () => {
    const { api } = await mount();
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    await userEvent.click(screen.getByRole('button', { name: 'Download big.log' }));
    await vi.waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0]!.href).toContain('/files/download?path=big.log&token=t0k');
    expect(clicked[0]!.download).toBe('big.log');
    await userEvent.selectOptions(screen.getByLabelText('Folders download as'), 'zip');
    await userEvent.click(screen.getByRole('button', { name: 'Download plugins' }));
    await vi.waitFor(() => expect(clicked).toHaveLength(2));
    expect(clicked[1]!.download).toBe('plugins.zip');
    expect(api.requests.filter((r) => r.path.endsWith('/download-link')).map((r) => r.body)).toEqual([
      { path: 'big.log' },
      { path: 'plugins', format: 'zip' },
    ]);
  });

  it('searches the content of files and opens a hit in the editor', async () => {
    const { api } = await mount();
    await userEvent.type(screen.getByLabelText('Search all files'), 'go here');
    await userEvent.click(screen.getByLabelText('Search inside files'));
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    const results = await screen.findByTestId('search-results');
    expect(results.textContent).toContain('1 match for “go here”.');
    expect(results.textContent).toContain('line 1:');
    expect(api.requests.find((r) => r.path.includes('/search'))?.path).toContain('content=true');
    await userEvent.click(within(results).getByRole('button', { name: 'plugins/readme.txt' }));
    const editor = (await screen.findByLabelText('Content of plugins/readme.txt')) as HTMLTextAreaElement;
    await vi.waitFor(() => expect(editor.value).toBe('plugins go here\n'));
  });

  it('shows viewers the files read-only, and operators no purge', async () => {
    await mount('viewer');
    expect(screen.queryByRole('button', { name: 'New file' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete big.log' })).toBeNull();
    expect(screen.queryByLabelText('Files to upload')).toBeNull();
    expect(screen.getByRole('button', { name: 'Download big.log' })).toBeTruthy();
    await userEvent.click(
      within(row('server.properties')).getByRole('button', { name: 'server.properties' }),
    );
    const editor = (await screen.findByLabelText('Content of server.properties')) as HTMLTextAreaElement;
    expect(editor.readOnly).toBe(true);
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });

  it('lets operators restore from the trash but not remove for good', async () => {
    const { trash, nodes } = await mount('operator');
    trash.push({
      id: '00000000-0000-4000-8000-000000000009',
      path: 'old.txt',
      node: { type: 'file', content: 'x', version: 1 },
    });
    expect(nodes.has('old.txt')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Trash' }));
    const item = await screen.findByTestId('trash-old.txt');
    expect(within(item).getByRole('button', { name: 'Restore old.txt' })).toBeTruthy();
    expect(within(item).queryByRole('button', { name: /for good/ })).toBeNull();
  });
});
