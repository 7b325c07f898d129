/**
 * The table's data model: rows as they arrive, filtering, sorting and multi-selection. Pure (no DOM), unit tested.
 *
 * Filtering and sorting produce a *view*: an array of indices into `rows`. Selection is a set of row ids, so it
 * survives filtering, sorting and a reload (ids are stable within one plan).
 */
import type { PreviewFilters, PreviewRow, PreviewSort, SortKey } from '../src/shared/previewProtocol';

/** A row plus the values filtering and sorting need, computed once when the row arrives. */
export interface RowRecord {
  readonly row: PreviewRow;
  /** Lower-cased from, to, subject, folder, destination, message-id: what the search box matches. */
  readonly haystack: string;
  /** Epoch ms of `row.date`, NaN when the date is unknown. */
  readonly time: number;
  /** Local calendar day `YYYY-MM-DD` of `row.date`, '' when unknown (what the date filter compares). */
  readonly day: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function localDay(time: number): string {
  if (!Number.isFinite(time)) return '';
  const d = new Date(time);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `YYYY-MM-DD HH:MM` in local time, as the table shows it. */
export function formatDate(time: number): string {
  if (!Number.isFinite(time)) return '';
  const d = new Date(time);
  return `${localDay(time)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function toRecord(row: PreviewRow): RowRecord {
  const time = row.date ? Date.parse(row.date) : Number.NaN;
  const haystack = [row.from, row.to ?? '', row.subject, row.folder, row.destination, row.messageId ?? ''].join('\n').toLowerCase();
  return { row, haystack, time, day: localDay(time) };
}

/** Search words must all occur (in any field); the day range is inclusive; rows without a date fail a day range. */
export function matches(r: RowRecord, f: PreviewFilters): boolean {
  if (f.status !== 'all' && r.row.status !== f.status) return false;
  if (f.dateFrom && (r.day === '' || r.day < f.dateFrom)) return false;
  if (f.dateTo && (r.day === '' || r.day > f.dateTo)) return false;
  const q = f.text.trim().toLowerCase();
  if (q) {
    for (const word of q.split(/\s+/)) if (!r.haystack.includes(word)) return false;
  }
  return true;
}

export function isFiltering(f: PreviewFilters): boolean {
  return f.status !== 'all' || f.dateFrom !== '' || f.dateTo !== '' || f.text.trim() !== '';
}

/** Indices of the records from `from` (inclusive) on that pass the filters, in plan order. */
export function filterIndices(records: readonly RowRecord[], f: PreviewFilters, from = 0): number[] {
  const out: number[] = [];
  const all = !isFiltering(f);
  for (let i = from; i < records.length; i++) if (all || matches(records[i]!, f)) out.push(i);
  return out;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function compareBy(key: SortKey, a: RowRecord, b: RowRecord): number {
  switch (key) {
    case 'date':
      // Unknown dates sort first in ascending order.
      return (Number.isFinite(a.time) ? a.time : -Infinity) - (Number.isFinite(b.time) ? b.time : -Infinity) || 0;
    case 'size':
      return a.row.size - b.row.size;
    case 'status':
      return a.row.status === b.row.status ? 0 : a.row.status === 'new' ? -1 : 1;
    case 'from':
    case 'subject':
    case 'folder':
    case 'destination':
      return collator.compare(a.row[key], b.row[key]);
  }
}

/** Sorts a view in place (stable: ties keep plan order, in both directions). */
export function sortIndices(records: readonly RowRecord[], view: number[], sort: PreviewSort | null): number[] {
  if (!sort) return view.sort((a, b) => a - b);
  const sign = sort.dir === 'asc' ? 1 : -1;
  return view.sort((a, b) => sign * compareBy(sort.key, records[a]!, records[b]!) || a - b);
}

/** Header click: a new column sorts ascending, the same column flips, a third click on it returns to plan order. */
export function nextSort(current: PreviewSort | null, key: SortKey): PreviewSort | null {
  if (!current || current.key !== key) return { key, dir: key === 'date' || key === 'size' ? 'desc' : 'asc' };
  const firstDir = key === 'date' || key === 'size' ? 'desc' : 'asc';
  return current.dir === firstDir ? { key, dir: firstDir === 'asc' ? 'desc' : 'asc' } : null;
}

// -- selection -----------------------------------------------------------------------------------------------

export interface ClickModifiers {
  readonly shift: boolean;
  /** Ctrl on Windows/Linux, Cmd on macOS. */
  readonly toggle: boolean;
}

export interface SelectionState {
  readonly selected: ReadonlySet<string>;
  /** View position the next shift-click extends from. */
  readonly anchor: number;
}

/**
 * Click on the row at view position `pos`, as in a file list: plain click selects only it; ctrl/cmd toggles it;
 * shift selects the range from the anchor (adding to the selection with ctrl/cmd, replacing it without).
 */
export function clickSelect(state: SelectionState, view: readonly number[], records: readonly RowRecord[], pos: number, mods: ClickModifiers): SelectionState {
  const idAt = (p: number): string => records[view[p]!]!.row.id;
  if (pos < 0 || pos >= view.length) return state;
  if (mods.shift) {
    const anchor = state.anchor >= 0 && state.anchor < view.length ? state.anchor : pos;
    const next = new Set(mods.toggle ? state.selected : []);
    const [a, b] = anchor <= pos ? [anchor, pos] : [pos, anchor];
    for (let p = a; p <= b; p++) next.add(idAt(p));
    return { selected: next, anchor };
  }
  if (mods.toggle) {
    const next = new Set(state.selected);
    const id = idAt(pos);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return { selected: next, anchor: pos };
  }
  return { selected: new Set([idAt(pos)]), anchor: pos };
}

/** Space on the focused row: toggles it, keeps the rest. */
export function toggleAt(state: SelectionState, view: readonly number[], records: readonly RowRecord[], pos: number): SelectionState {
  return clickSelect(state, view, records, pos, { shift: false, toggle: true });
}

/** "Select all visible": every row that passes the filters; if all of them are selected already, clears them. */
export function toggleAllVisible(selected: ReadonlySet<string>, view: readonly number[], records: readonly RowRecord[]): Set<string> {
  const next = new Set(selected);
  const all = view.length > 0 && view.every((i) => next.has(records[i]!.row.id));
  for (const i of view) {
    const id = records[i]!.row.id;
    if (all) next.delete(id);
    else next.add(id);
  }
  return next;
}

/** How many of these ids are `new` (what a restore would bring back; `present` ones are skipped). */
export function countNew(ids: readonly string[], byId: ReadonlyMap<string, RowRecord>): number {
  let n = 0;
  for (const id of ids) if (byId.get(id)?.row.status === 'new') n++;
  return n;
}

/** The ids a restore acts on: selected AND visible under the current filters, in view order. */
export function selectedVisibleIds(selected: ReadonlySet<string>, view: readonly number[], records: readonly RowRecord[]): string[] {
  const out: string[] = [];
  if (selected.size === 0) return out;
  for (const i of view) {
    const id = records[i]!.row.id;
    if (selected.has(id)) out.push(id);
  }
  return out;
}
