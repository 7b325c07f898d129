/**
 * The plan's rows in the webview: as they arrive (each id once), and the view of them the grid shows (indices
 * into `records`, filtered and sorted). Appending rows in plan order only filters the new ones; a sort or a
 * filter change recomputes the view. No DOM: unit tested through the store.
 */
import type { PreviewFilters, PreviewRow, PreviewSort } from '../src/shared/previewProtocol';
import { filterIndices, sortIndices, toRecord, type RowRecord } from './model';

export class PlanRows {
  /** In arrival order. */
  records: RowRecord[] = [];
  readonly byId = new Map<string, RowRecord>();
  /** Indices into `records`: the rows passing the filters, in display order. */
  view: number[] = [];
  /** Records before this index have been filtered into `view`. */
  private filteredUpTo = 0;

  clear(): void {
    this.records = [];
    this.byId.clear();
    this.view = [];
    this.filteredUpTo = 0;
  }

  /** Adds the rows not seen yet (a row id is unique within a plan). */
  add(rows: readonly PreviewRow[]): void {
    for (const row of rows) {
      if (this.byId.has(row.id)) continue;
      const rec = toRecord(row);
      this.byId.set(row.id, rec);
      this.records.push(rec);
    }
  }

  /** Brings the view up to date: everything again (`full`, or when sorted), else only the rows added since. */
  refresh(filters: PreviewFilters, sort: PreviewSort | null, full: boolean): void {
    if (full || sort) {
      this.view = sortIndices(this.records, filterIndices(this.records, filters), sort);
    } else {
      for (const i of filterIndices(this.records, filters, this.filteredUpTo)) this.view.push(i);
    }
    this.filteredUpTo = this.records.length;
  }

  /** The record at a view position. */
  at(pos: number): RowRecord | undefined {
    const i = this.view[pos];
    return i === undefined ? undefined : this.records[i];
  }

  /** The view position of a row id (`hint` first: usually it has not moved), -1 when it is not shown. */
  positionOf(id: string, hint = -1): number {
    if (hint >= 0 && this.at(hint)?.row.id === id) return hint;
    return this.view.findIndex((i) => this.records[i]!.row.id === id);
  }
}
