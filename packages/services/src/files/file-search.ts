import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { joinPath } from '@minefleet/domain/file-paths';
import { decodeText } from './text-encoding.js';

/** Bounds of one search, so a world of a million files cannot hold the control plane. */
export const SEARCH_LIMITS = {
  maxResults: 200,
  maxVisited: 50_000,
  /** Files larger than this are matched by name only. */
  maxContentFileBytes: 1024 * 1024,
  maxContentBytes: 64 * 1024 * 1024,
  timeBudgetMs: 5_000,
};

export interface SearchQuery {
  root: string;
  /** Case-insensitive substring of the name (or of the text, with `content`). */
  q: string;
  content?: boolean | undefined;
  limit?: number | undefined;
  skip?: (rel: string) => boolean;
}

export interface SearchHit {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** For content matches: the first matching line and its number (1-based). */
  line?: number;
  preview?: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /** True when a bound stopped the search early (results, files visited, bytes read or time). */
  truncated: boolean;
  visited: number;
}

/** Breadth-first search below `root`, by name or by content, within SEARCH_LIMITS. */
export async function searchFiles(
  files: ServerFiles,
  serverId: string,
  query: SearchQuery,
): Promise<SearchResult> {
  const needle = query.q.toLowerCase();
  const limit = Math.min(query.limit ?? 50, SEARCH_LIMITS.maxResults);
  const deadline = Date.now() + SEARCH_LIMITS.timeBudgetMs;
  const hits: SearchHit[] = [];
  const queue = [query.root];
  let visited = 0;
  let bytesRead = 0;
  let truncated = false;
  outer: while (queue.length > 0) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = await files.list(serverId, dir);
    } catch {
      continue; // removed meanwhile, or a link out of the folder
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const rel = joinPath(dir, entry.name);
      if (query.skip?.(rel)) continue;
      if (++visited > SEARCH_LIMITS.maxVisited || Date.now() > deadline || hits.length >= limit) {
        truncated = true;
        break outer;
      }
      if (entry.type === 'directory') queue.push(rel);
      if (!query.content) {
        if (entry.name.toLowerCase().includes(needle))
          hits.push({ path: rel, type: entry.type, size: entry.size });
        continue;
      }
      if (entry.type !== 'file' || entry.size > SEARCH_LIMITS.maxContentFileBytes) continue;
      if (bytesRead + entry.size > SEARCH_LIMITS.maxContentBytes) {
        truncated = true;
        break outer;
      }
      bytesRead += entry.size;
      let text;
      try {
        text = decodeText(await files.read(serverId, rel, SEARCH_LIMITS.maxContentFileBytes))?.text;
      } catch {
        continue;
      }
      if (text === undefined) continue;
      const at = text.toLowerCase().indexOf(needle);
      if (at < 0) continue;
      const start = text.lastIndexOf('\n', at) + 1;
      const endAt = text.indexOf('\n', at);
      const line = text.slice(start, endAt < 0 ? undefined : endAt);
      hits.push({
        path: rel,
        type: 'file',
        size: entry.size,
        line: text.slice(0, at).split('\n').length,
        preview: line.length > 200 ? `${line.slice(0, 200)}…` : line,
      });
    }
  }
  return { hits, truncated, visited: Math.min(visited, SEARCH_LIMITS.maxVisited) };
}
