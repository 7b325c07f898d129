import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEPT_COLUMNS, columnLayout } from '../../../webview/columns';

describe('grid columns by width', () => {
  it('keeps Status and Destination at every width; drops size, then the source folder, date, sender, subject', () => {
    const seen: string[] = [];
    for (let w = 0; w <= 2400; w += 10) {
      const { columns, template } = columnLayout(w);
      for (const k of KEPT_COLUMNS) assert.ok(columns.includes(k), `${k} at ${w}px: ${columns.join(',')}`);
      // The narrowest each shown column may get adds up to no more than the grid (less its scroll bar).
      const mins = [...template.matchAll(/minmax\((\d+)(?:px)?, [^)]*\)|(\d+)px/g)].map((m) => Number(m[1] ?? m[2]));
      assert.equal(mins.length, columns.length + 1, template);
      if (!template.includes('minmax(0,')) assert.ok(mins.reduce((a, b) => a + b, 0) <= Math.max(w - 10, 28 + 96 + 124), `${template} at ${w}px`);
      const key = columns.join(',');
      if (seen.at(-1) !== key) seen.push(key);
    }
    assert.deepEqual(seen, [
      'status,destination',
      'status,subject,destination',
      'status,from,subject,destination',
      'status,from,subject,date,destination',
      'status,from,subject,date,folder,destination',
      'status,from,subject,date,size,folder,destination',
    ]);
  });

  it('the columns shown fit the width (no sideways scrolling), and share it when even the kept ones do not fit', () => {
    // About the grid of a 1600 px window with a 600 px side bar (editor ~950 px, the split at 62%).
    assert.deepEqual(columnLayout(575).columns, ['status', 'from', 'subject', 'destination']);
    assert.equal(columnLayout(100).template, '28px minmax(0, 1fr) minmax(0, 1fr)');
    assert.match(columnLayout(2000).template, /^28px 96px /);
  });
});
