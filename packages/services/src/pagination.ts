/** A page request as the API takes it (`page` from 1, `per_page` 1..100). */
export interface PageRequest {
  page: number;
  perPage: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Builds a page from rows that carry `count(*) over ()` as `total`. An empty page (past the end) has no
 * row to read the total from, so `countAll` is asked instead.
 */
export async function toPage<T>(
  rows: { item: T; total: number | string }[],
  countAll: () => Promise<number>,
): Promise<Page<T>> {
  if (rows.length > 0) return { items: rows.map((r) => r.item), total: Number(rows[0]!.total) };
  return { items: [], total: await countAll() };
}

export function offsetOf(page: PageRequest): number {
  return (page.page - 1) * page.perPage;
}
