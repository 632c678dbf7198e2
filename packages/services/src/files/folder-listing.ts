import { fileProtection, joinPath } from '@minefleet/domain/file-paths';
import type { ServerRecord } from '../server-record.js';
import type { FileAccess } from './file-access.js';
import { MAX_PAGE, type FileEntry, type FileListing, type FileSort } from './file-model.js';

export interface ListOptions {
  sort?: FileSort;
  page?: number;
  perPage?: number;
}

/** What a sort looks at; names and types are known before any entry is stat'ed. */
type Sortable = Pick<FileEntry, 'name' | 'type'> & Partial<Pick<FileEntry, 'size' | 'mtimeMs'>>;

function compare(sort: FileSort): (a: Sortable, b: Sortable) => number {
  const desc = sort.startsWith('-');
  const key = (desc ? sort.slice(1) : sort) as 'name' | 'size' | 'mtime' | 'type';
  const byName = (a: Sortable, b: Sortable) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const primary = (a: Sortable, b: Sortable): number => {
    switch (key) {
      case 'name':
        return byName(a, b);
      case 'size':
        return (a.size ?? 0) - (b.size ?? 0);
      case 'mtime':
        return (a.mtimeMs ?? 0) - (b.mtimeMs ?? 0);
      case 'type':
        return a.type.localeCompare(b.type);
    }
  };
  return (a, b) => {
    // Folders first whatever the order, as every file manager shows them.
    const folders = Number(b.type === 'directory') - Number(a.type === 'directory');
    if (folders !== 0) return folders;
    const order = (desc ? -1 : 1) * primary(a, b);
    return order !== 0 ? order : byName(a, b);
  };
}

/** Sorts that need each entry's size or time: every entry is stat'ed before sorting. */
const NEEDS_STAT = new Set<FileSort>(['size', '-size', 'mtime', '-mtime']);

/**
 * One page of a folder (already resolved), sorted, without the entries the deny list hides. Sorted by
 * name or type, the names (and types, which the folder itself gives) are sorted first and only the
 * entries of the page are stat'ed: a 10,000-entry folder costs one folder read and a page of stats.
 * Sorted by size or time, every entry is stat'ed.
 */
export async function listFolder(
  access: FileAccess,
  server: ServerRecord,
  serverId: string,
  rel: string,
  options: ListOptions,
): Promise<FileListing> {
  const sort = options.sort ?? 'name';
  const perPage = Math.min(options.perPage ?? 100, MAX_PAGE);
  const page = options.page ?? 1;
  const visible = (name: string) => fileProtection(server.distribution, joinPath(rel, name)) !== 'hidden';
  if (NEEDS_STAT.has(sort)) {
    const entries = (await access.files.list(serverId, rel))
      .filter((e) => visible(e.name))
      .map((e) => access.entry(server, rel, e));
    entries.sort(compare(sort));
    return { path: rel, entries: entries.slice((page - 1) * perPage, page * perPage), total: entries.length };
  }
  const names = (await access.files.listNames(serverId, rel)).filter((e) => visible(e.name));
  names.sort(compare(sort));
  const shown = names.slice((page - 1) * perPage, page * perPage).map((e) => e.name);
  const stats = await access.files.statEntries(serverId, rel, shown);
  return { path: rel, entries: stats.map((e) => access.entry(server, rel, e)), total: names.length };
}
