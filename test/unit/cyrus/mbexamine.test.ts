/** mbexamine's output, captured from Cyrus 3.6.1 and 3.10.2 (test/fixtures/cyrus310/capture.sh). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MbexamineParser, parseMbexamine } from '../../../src/core/cyrus/mbexamine';

const fx = (n: string) => readFileSync(join(__dirname, '../../fixtures/cyrus310', n));

describe('mbexamine', () => {
  for (const label of ['3.6', '3.10']) {
    test(`Cyrus ${label}: every mailbox with its header count and listed messages`, () => {
      const got = parseMbexamine(fx(`mbexamine.${label}.txt`));
      const byName = Object.fromEntries(got.map((e) => [e.name, [e.headerMessages, e.listed]]));
      const old = got.find((e) => e.name.startsWith('DELETED.user.alice.Old.'))!;
      assert.deepEqual(byName, {
        'user.alice': [3, 3],
        'user.alice.Archive': [4, 4],
        'user.alice.Empty': [0, 0],
        'user.alice.Gr&APwA3w-e &AMQ-rger': [1, 1],
        'user.alice.Undone': [2, 2],
        'user.alice.Work Stuff': [2, 2],
        'user.bob': [1, 1],
        [old.name]: [2, 2],
      });
      assert.equal(got[0]!.minorVersion, label === '3.6' ? 17 : 19);
    });
  }

  test('byte-at-a-time streaming gives the same result (cache items split across chunks)', () => {
    const all = fx('mbexamine.3.10.txt');
    const p = new MbexamineParser();
    for (let i = 0; i < all.length; i++) p.push(all.subarray(i, i + 1));
    assert.deepEqual(p.end(), parseMbexamine(all));
  });

  test('a message whose cached headers read like record lines is counted once', () => {
    // The real output of user.alice (3 messages), with one Subject cache item replaced by hostile text of
    // the same form Cyrus prints: ` Subjct>{N}` and N raw bytes, newlines included.
    const real = fx('mbexamine.3.10.txt').toString('utf8');
    const block = real.slice(0, real.indexOf('Examining user.alice.Archive...'));
    const hostile = '{60}\n000001> UID:00000042   INT_DATE:1 SENTDATE:1 SAVEDATE:1 SIZE:1\n';
    const item = ` Subjct>{${Buffer.byteLength(hostile)}}${hostile}\n`;
    const forged = block.replace(/ Subjct>\{18\}"Quarterly report"\n/, item);
    assert.notEqual(forged, block, 'the Subject item was replaced');
    const [box] = parseMbexamine(forged);
    assert.deepEqual([box!.name, box!.headerMessages, box!.listed], ['user.alice', 3, 3]);
  });

  test('a mailbox that failed to open leaves its name on the next one\'s line', () => {
    const real = fx('mbexamine.3.6.txt').toString('utf8');
    const got = parseMbexamine(`Examining user.nobody...${real}`);
    assert.equal(got[0]!.name, 'user.alice');
    assert.equal(got.length, 8);
  });

  test('output cut inside a cache item is an error, not a short count', () => {
    const real = fx('mbexamine.3.6.txt');
    const cut = real.subarray(0, real.indexOf(' Envel>{') + 20);
    assert.throws(() => parseMbexamine(cut), /ended inside a cache item/);
  });
});
