import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_FILTERS } from '../../../src/shared/previewProtocol';
import { clickSelect, filterIndices, nextSort, selectedVisibleIds, sortIndices, toRecord, toggleAllVisible } from '../../../webview/model';
import { makeRow } from '../../webview/fixtures/rows';

process.env.TZ = 'UTC';
const records = Array.from({ length: 200 }, (_, i) => toRecord(makeRow(i)));
const ids = (view: number[]): string[] => view.map((i) => records[i]!.row.id);

describe('table model', () => {
  it('filters by words in any field, status and an inclusive local-day range', () => {
    const v = filterIndices(records, { ...EMPTY_FILTERS, text: 'INVOICE alice' });
    assert.ok(v.length > 0);
    for (const i of v) {
      assert.match(records[i]!.row.subject, /^Invoice/);
      assert.match(records[i]!.row.from, /Alice/);
    }
    const d = filterIndices(records, { ...EMPTY_FILTERS, dateFrom: '2026-06-29', dateTo: '2026-06-29' });
    assert.deepEqual(ids(d), records.filter((r) => r.row.date.startsWith('2026-06-29')).map((r) => r.row.id));
    assert.equal(d.length, 12);
    const p = filterIndices(records, { ...EMPTY_FILTERS, status: 'present' });
    assert.ok(p.every((i) => records[i]!.row.status === 'present') && p.length === 40);
  });

  it('sorts stably in both directions and returns to plan order', () => {
    const bySize = sortIndices(records, filterIndices(records, EMPTY_FILTERS), { key: 'size', dir: 'desc' });
    for (let k = 1; k < bySize.length; k++) assert.ok(records[bySize[k - 1]!]!.row.size >= records[bySize[k]!]!.row.size);
    const byStatus = sortIndices(records, filterIndices(records, EMPTY_FILTERS), { key: 'status', dir: 'asc' });
    const firstPresent = byStatus.findIndex((i) => records[i]!.row.status === 'present');
    assert.deepEqual(byStatus.slice(0, firstPresent), [...byStatus.slice(0, firstPresent)].sort((a, b) => a - b), 'ties keep plan order');
    assert.deepEqual(sortIndices(records, [5, 3, 9], null), [3, 5, 9]);
    assert.deepEqual(nextSort(null, 'subject'), { key: 'subject', dir: 'asc' });
    assert.deepEqual(nextSort({ key: 'subject', dir: 'asc' }, 'subject'), { key: 'subject', dir: 'desc' });
    assert.equal(nextSort({ key: 'subject', dir: 'desc' }, 'subject'), null);
    assert.deepEqual(nextSort(null, 'date'), { key: 'date', dir: 'desc' });
  });

  it('selects like a file list: click, shift-click range, ctrl toggle, ctrl+shift adds a range', () => {
    const view = [10, 11, 12, 13, 14, 15];
    let s = clickSelect({ selected: new Set(), anchor: -1 }, view, records, 1, { shift: false, toggle: false });
    s = clickSelect(s, view, records, 4, { shift: true, toggle: false });
    assert.deepEqual([...s.selected], ids([11, 12, 13, 14]));
    s = clickSelect(s, view, records, 2, { shift: false, toggle: true });
    assert.deepEqual([...s.selected].sort(), ids([11, 13, 14]).sort());
    s = clickSelect(s, view, records, 5, { shift: true, toggle: true });
    assert.deepEqual(new Set(s.selected), new Set(ids([11, 13, 14, 12, 15])));
    s = clickSelect(s, view, records, 0, { shift: false, toggle: false });
    assert.deepEqual([...s.selected], ids([10]));
  });

  it('restores only selected rows that the filters show; select-all toggles the shown rows', () => {
    const view = [1, 2, 3];
    const sel = new Set(ids([2, 3, 50]));
    assert.deepEqual(selectedVisibleIds(sel, view, records), ids([2, 3]));
    const all = toggleAllVisible(sel, view, records);
    assert.deepEqual(new Set(all), new Set(ids([1, 2, 3, 50])));
    assert.deepEqual([...toggleAllVisible(all, view, records)], ids([50]));
  });
});
