// One page of a list: every list reads limit + 1 rows, shows `limit`, and the extra row only says there is more.
// The cursor is the last shown item's public id (the next page starts after it).
export interface Page<T> { data: T[], hasMore: boolean, nextCursor: string | null }

function page<T extends { id: string }> (data: T[], hasMore: boolean): Page<T> {
  return { data, hasMore, nextCursor: hasMore ? (data.at(-1)?.id ?? null) : null }
}

export function toPage<R, T extends { id: string }> (
  rows: R[], limit: number, view: (shown: R[]) => T[]
): Page<T>
export function toPage<R, T extends { id: string }> (
  rows: R[], limit: number, view: (shown: R[]) => Promise<T[]>
): Promise<Page<T>>
export function toPage<R, T extends { id: string }> (
  rows: R[], limit: number, view: (shown: R[]) => T[] | Promise<T[]>
): Page<T> | Promise<Page<T>> {
  const hasMore = rows.length > limit
  const data = view(rows.slice(0, limit))
  return data instanceof Promise ? data.then((shown) => page(shown, hasMore)) : page(data, hasMore)
}

export const EMPTY_PAGE: Page<never> = { data: [], hasMore: false, nextCursor: null }
