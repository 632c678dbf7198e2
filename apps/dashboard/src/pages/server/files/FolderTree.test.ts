import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fakeApi, testApp, type Recorded } from '../../../test-helpers.js';
import FolderTree from './FolderTree.svelte';

/**
 * The Files tab's folder tree against the listing route (docs/files.md): a folder's subfolders are read
 * once, when it is first expanded, and files never show; the folder shown is marked and its ancestors
 * expanded. The browser test (test/dashboard/files.e2e.test.ts) opens a folder through it for real.
 */
const ID = '66666666-6666-4666-8666-666666666666';
const PATHS = [
  'plugins',
  'plugins/Essentials',
  'plugins/Essentials/lang',
  'plugins/readme.txt',
  'world',
  'server.properties',
];
const FOLDERS = new Set(['plugins', 'plugins/Essentials', 'plugins/Essentials/lang', 'world']);

function mount(current: string) {
  const listing = (r: Recorded) => {
    const q = new URL(r.path, 'http://x').searchParams;
    const dir = q.get('path') ?? '';
    const entries = PATHS.filter(
      (p) => (dir ? p.startsWith(`${dir}/`) : true) && !p.slice(dir ? dir.length + 1 : 0).includes('/'),
    )
      .map((path) => ({
        name: path.slice(path.lastIndexOf('/') + 1),
        path,
        type: FOLDERS.has(path) ? 'directory' : 'file',
        size: 1,
        mtime: '2026-12-01T10:00:00.000Z',
        mode: '644',
        protection: null,
      }))
      .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'directory' ? -1 : 1));
    return { body: { path: dir, entries, pagination: { page: 1, per_page: 1000, total: entries.length } } };
  };
  const fake = fakeApi({ [`GET /api/v1/servers/${ID}/files`]: listing });
  const app = testApp(fake.fetch, { token: 't' });
  const onopen = vi.fn();
  render(FolderTree, { props: { api: app.session.api, serverId: ID, current, onopen } });
  const listed = () => fake.requests.map((r) => new URL(r.path, 'http://x').searchParams.get('path'));
  return { onopen, listed, tree: screen.getByRole('navigation', { name: 'Folders' }) };
}

describe('folder tree', () => {
  it('reads a folder once, when first expanded, shows only folders, and opens the one clicked', async () => {
    const { onopen, listed, tree } = mount('');
    const plugins = await within(tree).findByRole('button', { name: 'Folders in plugins' });
    expect(listed()).toEqual(['']);
    expect(plugins.getAttribute('aria-expanded')).toBe('false');
    expect(within(tree).queryByText('server.properties')).toBeNull();
    expect(within(tree).getByRole('button', { name: 'Server folder' }).getAttribute('aria-current')).toBe(
      'location',
    );

    await userEvent.click(plugins);
    await within(tree).findByRole('button', { name: 'Essentials' });
    expect(plugins.getAttribute('aria-expanded')).toBe('true');
    expect(within(tree).queryByText('readme.txt')).toBeNull();
    // Collapsed and expanded again: read once.
    await userEvent.click(plugins);
    expect(within(tree).queryByRole('button', { name: 'Essentials' })).toBeNull();
    await userEvent.click(plugins);
    await within(tree).findByRole('button', { name: 'Essentials' });
    expect(listed()).toEqual(['', 'plugins']);

    await userEvent.click(within(tree).getByRole('button', { name: 'Essentials' }));
    expect(onopen).toHaveBeenCalledWith('plugins/Essentials');
  });

  it('expands the ancestors of the folder shown and marks it', async () => {
    const { listed, tree } = mount('plugins/Essentials/lang');
    const lang = await within(tree).findByRole('button', { name: 'lang' });
    expect(lang.getAttribute('aria-current')).toBe('location');
    expect(
      within(tree).getByRole('button', { name: 'Folders in Essentials' }).getAttribute('aria-expanded'),
    ).toBe('true');
    // The folder shown itself is not expanded: its subfolders are read only if asked for.
    expect(listed()).toEqual(['', 'plugins', 'plugins/Essentials']);
    // A folder found to have no subfolders has nothing to expand.
    await userEvent.click(within(tree).getByRole('button', { name: 'Folders in lang' }));
    await vi.waitFor(() =>
      expect(within(tree).queryByRole('button', { name: 'Folders in lang' })).toBeNull(),
    );
  });
});
