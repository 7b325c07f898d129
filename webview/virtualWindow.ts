/**
 * The arithmetic of the virtualised table: which rows are in the DOM for a scroll position. Pure, so it is unit
 * tested without a browser. Rows have one fixed height; the body is a spacer of `rowCount * rowHeight` pixels and
 * the rows in the window are absolutely positioned at `index * rowHeight` (a transform, no layout of the rest).
 */

export interface WindowInput {
  /** scrollTop of the scrolling body, in px. */
  readonly scrollTop: number;
  /** clientHeight of the scrolling body, in px. */
  readonly viewportHeight: number;
  readonly rowHeight: number;
  readonly rowCount: number;
  /** Extra rows rendered above and below the viewport so that fast scrolling shows no gaps. */
  readonly overscan: number;
}

export interface WindowRange {
  /** First row index in the DOM (inclusive). */
  readonly start: number;
  /** One past the last row index in the DOM. */
  readonly end: number;
  /** Height of the spacer holding all rows, in px. */
  readonly totalHeight: number;
}

export function computeWindow({ scrollTop, viewportHeight, rowHeight, rowCount, overscan }: WindowInput): WindowRange {
  if (rowHeight <= 0) throw new RangeError('rowHeight must be positive');
  const count = Math.max(0, Math.floor(rowCount));
  const totalHeight = count * rowHeight;
  if (count === 0) return { start: 0, end: 0, totalHeight };
  const maxScroll = Math.max(0, totalHeight - Math.max(0, viewportHeight));
  const top = Math.min(Math.max(0, Number.isFinite(scrollTop) ? scrollTop : 0), maxScroll);
  const firstVisible = Math.floor(top / rowHeight);
  const lastVisible = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight); // exclusive
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(count, Math.max(lastVisible, firstVisible + 1) + overscan);
  return { start, end, totalHeight };
}

/** The scrollTop that brings row `index` fully into view, changing as little as possible (keyboard navigation). */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}

/** Rows that fit in one page of the viewport (PageUp/PageDown step), at least 1. */
export function pageSize(viewportHeight: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}
