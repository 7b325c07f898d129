import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeWindow, pageSize, scrollToReveal } from '../../../webview/virtualWindow';

const base = { rowHeight: 24, viewportHeight: 600, overscan: 8 };

describe('virtual window arithmetic', () => {
  it('renders the visible rows plus the overscan at the top', () => {
    assert.deepEqual(computeWindow({ ...base, scrollTop: 0, rowCount: 100_000 }), { start: 0, end: 25 + 8, totalHeight: 2_400_000 });
  });

  it('renders the visible rows plus overscan on both sides in the middle', () => {
    // 2400 px = row 100 at the top; 600 px show rows 100..124.
    assert.deepEqual(computeWindow({ ...base, scrollTop: 2400, rowCount: 100_000 }), { start: 92, end: 133, totalHeight: 2_400_000 });
    // Half a row scrolled: row 100 partly visible, row 125 partly visible.
    assert.deepEqual(computeWindow({ ...base, scrollTop: 2412, rowCount: 100_000 }), { start: 92, end: 134, totalHeight: 2_400_000 });
  });

  it('ends with the last row at the bottom, also when scrollTop overshoots', () => {
    const bottom = 2_400_000 - 600;
    assert.deepEqual(computeWindow({ ...base, scrollTop: bottom, rowCount: 100_000 }), { start: 99_975 - 8, end: 100_000, totalHeight: 2_400_000 });
    assert.deepEqual(computeWindow({ ...base, scrollTop: 1e9, rowCount: 100_000 }), computeWindow({ ...base, scrollTop: bottom, rowCount: 100_000 }));
  });

  it('never holds more than viewport/rowHeight + 2*overscan + 2 rows', () => {
    for (let top = 0; top < 2_400_000; top += 9973) {
      const w = computeWindow({ ...base, scrollTop: top, rowCount: 100_000 });
      assert.ok(w.end - w.start <= 600 / 24 + 2 * 8 + 2, `${top}: ${w.end - w.start}`);
      assert.ok(w.start <= Math.floor(Math.min(top, 2_400_000 - 600) / 24) && w.end >= Math.ceil((Math.min(top, 2_400_000 - 600) + 600) / 24));
    }
  });

  it('handles empty, short and degenerate inputs', () => {
    assert.deepEqual(computeWindow({ ...base, scrollTop: 0, rowCount: 0 }), { start: 0, end: 0, totalHeight: 0 });
    assert.deepEqual(computeWindow({ ...base, scrollTop: 500, rowCount: 3 }), { start: 0, end: 3, totalHeight: 72 });
    assert.deepEqual(computeWindow({ ...base, viewportHeight: 0, scrollTop: 0, rowCount: 10 }), { start: 0, end: 9, totalHeight: 240 });
    assert.deepEqual(computeWindow({ ...base, scrollTop: Number.NaN, rowCount: 10 }).start, 0);
    assert.throws(() => computeWindow({ ...base, rowHeight: 0, scrollTop: 0, rowCount: 1 }));
  });

  it('scrolls as little as possible to reveal a row, and pages by a viewport', () => {
    assert.equal(scrollToReveal(10, 0, 600, 24), 0);
    assert.equal(scrollToReveal(30, 0, 600, 24), 31 * 24 - 600);
    assert.equal(scrollToReveal(5, 2400, 600, 24), 120);
    assert.equal(pageSize(600, 24), 24);
    assert.equal(pageSize(10, 24), 1);
  });
});
