/**
 * Which columns the grid shows at a width, and their CSS grid tracks. Pure: unit tested.
 *
 * The grid never scrolls sideways: when the pane is too narrow for every column, the columns of lowest priority
 * drop first (size, then the source folder, the date, the sender, the subject). Status (new or already there) and
 * Destination (where the message goes, or where it already is) are never dropped: at any width they are what a
 * restore decision needs.
 */
import type { SortKey } from '../src/shared/previewProtocol';

export type ColumnKey = SortKey;

interface ColumnSpec {
  /** Narrowest the column may get, in px. */
  readonly min: number;
  /** Its grid track when shown. */
  readonly track: string;
  /** 0 keeps it longest. */
  readonly priority: number;
}

export const SELECT_COLUMN_PX = 28;
/** Room kept for the vertical scroll bar (the grid reserves its gutter in the head and the body alike). */
const SCROLLBAR_PX = 10;

const SPECS: Readonly<Record<ColumnKey, ColumnSpec>> = {
  // "already there" in its badge
  status: { min: 96, track: '96px', priority: 0 },
  destination: { min: 124, track: 'minmax(124px, 1.5fr)', priority: 1 },
  subject: { min: 120, track: 'minmax(120px, 2.2fr)', priority: 2 },
  from: { min: 96, track: 'minmax(96px, 1.3fr)', priority: 3 },
  // "2026-06-30 12:00"
  date: { min: 136, track: '136px', priority: 4 },
  folder: { min: 96, track: 'minmax(96px, 1fr)', priority: 5 },
  // "244.1 KB"
  size: { min: 64, track: '64px', priority: 6 },
};

/** Left to right. */
const ORDER: readonly ColumnKey[] = ['status', 'from', 'subject', 'date', 'size', 'folder', 'destination'];
/** Never dropped. */
export const KEPT_COLUMNS: readonly ColumnKey[] = ['status', 'destination'];

export interface ColumnLayout {
  readonly columns: readonly ColumnKey[];
  /** grid-template-columns for every row (the selection column first). */
  readonly template: string;
}

/** The columns that fit `width` px of grid, in display order, and their tracks. */
export function columnLayout(width: number): ColumnLayout {
  const room = Math.max(0, width - SELECT_COLUMN_PX - SCROLLBAR_PX);
  const byPriority = [...ORDER].sort((a, b) => SPECS[a].priority - SPECS[b].priority);
  const shown = new Set<ColumnKey>();
  let used = 0;
  for (const key of byPriority) {
    const kept = KEPT_COLUMNS.includes(key);
    if (!kept && used + SPECS[key].min > room) break;
    shown.add(key);
    used += SPECS[key].min;
  }
  const columns = ORDER.filter((k) => shown.has(k));
  // Too narrow even for the kept columns: they share what there is instead of being cut off.
  const squeeze = used > room;
  const tracks = columns.map((k) => (squeeze ? 'minmax(0, 1fr)' : SPECS[k].track));
  return { columns, template: [`${SELECT_COLUMN_PX}px`, ...tracks].join(' ') };
}
