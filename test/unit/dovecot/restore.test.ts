/** Pure parts of the restore engine: UID sets, GUID queries, selection, target names, set names. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRestoreFolder, guidQuery, matchesSelection, uidSet, validateSelection } from '../../../src/core/dovecot/restore';
import { backupLocation, parseSetRef, setLabel, timeFromArchiveId } from '../../../src/core/dovecot/sets';
import { toMessageSummary } from '../../../src/core/dovecot/messages';
import { UsageError } from '../../../src/core/errors';

const FIXTURES = join(__dirname, '../../fixtures/dovecot');

describe('uidSet', () => {
  test('ranges, singles, duplicates, order', () => {
    assert.equal(uidSet([1, 2, 3, 7, 9, 10]), '1:3,7,9:10');
    assert.equal(uidSet([10, 9, 9, 1]), '1,9:10');
    assert.equal(uidSet([5]), '5');
    assert.equal(uidSet([]), '');
  });
});

describe('guidQuery', () => {
  test('one GUID is a plain key; several are ORed inside parentheses (doveadm refuses mixed AND/OR without them)', () => {
    assert.deepEqual(guidQuery(['a']), ['guid', 'a']);
    assert.deepEqual(guidQuery(['a', 'b', 'c']), ['(', 'guid', 'a', 'OR', 'guid', 'b', 'OR', 'guid', 'c', ')']);
    assert.throws(() => guidQuery([]));
  });
});

describe('selection', () => {
  const msgs = (JSON.parse(readFileSync(join(FIXTURES, 'browse-fetch-work-stuff.json'), 'utf8')) as Array<Record<string, unknown>>).map((o) => toMessageSummary('alice', o));

  test('every criterion narrows, on decoded headers, case-insensitive', () => {
    assert.equal(msgs.filter((m) => matchesSelection(m, {})).length, msgs.length);
    assert.deepEqual(msgs.filter((m) => matchesSelection(m, { from: 'MÜLLER' })).map((m) => m.subject), ['No date and no message-id']);
    assert.deepEqual(msgs.filter((m) => matchesSelection(m, { subject: 'long €' })).map((m) => m.messageId), ['<long@example.org>']);
    const one = msgs[1]!;
    assert.deepEqual(msgs.filter((m) => matchesSelection(m, { uids: [one.uid] })), [one]);
    assert.deepEqual(msgs.filter((m) => matchesSelection(m, { guids: [one.guid] })), [one]);
  });

  test('since/before are on the received date', () => {
    const r = Date.parse(msgs[0]!.received!);
    const day = new Date(r).toISOString().slice(0, 10);
    assert.ok(matchesSelection(msgs[0]!, { since: day }));
    assert.ok(!matchesSelection(msgs[0]!, { before: day }));
    assert.ok(matchesSelection(msgs[0]!, { before: new Date(r + 1000).toISOString() }));
    assert.ok(!matchesSelection(msgs[0]!, { since: new Date(r + 1000).toISOString() }));
  });

  test('validation: dates must parse, --uid needs exactly one mailbox', () => {
    assert.throws(() => validateSelection({ since: 'yesterday-ish' }), UsageError);
    assert.throws(() => validateSelection({ uids: [3] }), /exactly one --mailbox/);
    assert.throws(() => validateSelection({ uids: [3], mailboxes: ['A', 'B'] }), /exactly one --mailbox/);
    assert.doesNotThrow(() => validateSelection({ uids: [3], mailboxes: ['A'], since: '2024-01-01' }));
  });
});

describe('targets and sets', () => {
  test('the default folder uses the separator and local time', () => {
    const d = new Date(2026, 10, 22, 4, 5);
    assert.equal(defaultRestoreFolder('/', d), 'Restored/2026-11-22 0405');
    assert.equal(defaultRestoreFolder('.', d), 'Restored.2026-11-22 0405');
  });

  test('set names', () => {
    assert.deepEqual(parseSetRef(undefined), { kind: 'live' });
    assert.deepEqual(parseSetRef('mirror'), { kind: 'mirror' });
    assert.deepEqual(parseSetRef('expunged'), { kind: 'expunged' });
    assert.deepEqual(parseSetRef('archive:20261122T042158Z-incr'), { kind: 'archive', archiveId: '20261122T042158Z-incr' });
    assert.deepEqual(parseSetRef('20261122T042158Z-full'), { kind: 'archive', archiveId: '20261122T042158Z-full' });
    assert.throws(() => parseSetRef('yesterday'), UsageError);
    assert.equal(setLabel({ kind: 'archive', archiveId: 'x' }), 'archive:x');
    assert.equal(timeFromArchiveId('20261122T042158Z-incr'), '2026-11-22T04:21:58.000Z');
  });

  test('backup locations: read-only indexes, the layout, no ":" in paths, "%" kept literally', () => {
    assert.equal(backupLocation('/b/dovecot/alice/mirror'), 'maildir:/b/dovecot/alice/mirror:INDEX=MEMORY');
    assert.equal(backupLocation('/b/zo%C3%AB/mirror', 'fs'), 'maildir:/b/zo%C3%AB/mirror:LAYOUT=fs:INDEX=MEMORY');
    assert.throws(() => backupLocation('/b/a:b'), UsageError);
  });
});
