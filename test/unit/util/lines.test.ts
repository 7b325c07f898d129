/**
 * readLines: lines end at `\n` only (issue 11.8: a lone `\r` must not start a line a parser trusts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { readLines } from '../../../src/core/util/lines';

async function lines(chunks: (string | Buffer)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))))) out.push(l);
  return out;
}

describe('readLines', () => {
  test('11.8 a lone \\r stays inside its line; CRLF loses its \\r', async () => {
    const forged = 'tar: x\rMAILOPS 2024-01-01T00:00:00Z run result ok=yes exit=0: Cannot open';
    assert.deepEqual(await lines([`${forged}\n`, 'dos line\r\n', 'last\r\r\n']), [forged, 'dos line', 'last\r']);
  });

  test('chunks split anywhere: inside a UTF-8 character, between \\r and \\n, mid-line', async () => {
    const text = Buffer.from('Bücher ü\r\nzwei\nx\r', 'utf8');
    const chunks = [...text].map((b) => Buffer.of(b));
    assert.deepEqual(await lines(chunks), ['Bücher ü', 'zwei', 'x']);
  });

  test('a final line without newline is yielded; empty lines are kept; nothing for empty input', async () => {
    assert.deepEqual(await lines(['a\n\nb']), ['a', '', 'b']);
    assert.deepEqual(await lines([]), []);
    assert.deepEqual(await lines(['\n']), ['']);
  });

  test('stopping early leaves the stream usable (not destroyed), as readline did', async () => {
    const s = new PassThrough();
    s.write('one\ntwo\n');
    for await (const l of readLines(s)) {
      assert.equal(l, 'one');
      break;
    }
    assert.equal(s.destroyed, false);
    s.end();
  });
});
