/** A Cyrus count Mailops could not read is shown as "?" with its reason by the CLI, never as 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAccounts } from '../../../src/cli/commands/folders';
import { renderDeleted } from '../../../src/cli/commands/deleted';
import { parseMboxlistLine } from '../../../src/core/cyrus/parse';
import { toMailbox, type CyrusAccount, type CyrusMailbox } from '../../../src/core/cyrus/mailboxes';
import type { DeletedFolder } from '../../../src/core/cyrus/deleted';

const style = { unixHierarchySep: false };
function box(name: string, messages: number | null, countProblem: string | null = null): CyrusMailbox {
  const m = toMailbox(parseMboxlistLine(`"${name}": {"mbtype": "e", "partition": "default", "uniqueid": "abcdefghijklmnopqrstuvwx"},`)!, style);
  return { ...m, messages, size: messages === null ? null : messages * 300, countProblem };
}
const UNKNOWN = 'index version 21 is not known to Mailops (it reads versions 12–20)';

test('folders: the unknown folder shows ? and the reason; the total says what it leaves out', () => {
  const account: CyrusAccount = {
    account: 'alice',
    mailboxes: [box('user.alice', 3), box('user.alice.Archive', null, UNKNOWN), box('user.alice.Empty', 0)],
    messages: 3,
    size: 900,
    uncounted: 1,
  };
  const text = renderAccounts([account]);
  assert.match(text, /^alice {2}\(3 folders, 3 messages \+ \? in 1 folder \(count unknown\), 900 B\)$/m);
  assert.match(text, /^ {2}Archive +\? msgs +\? +user\.alice\.Archive\n {4}\? messages: index version 21 is not known to Mailops/m);
  assert.match(text, /^ {2}Empty +0 msgs +0 B +user\.alice\.Empty$/m, 'a real 0 stays 0');
  assert.doesNotMatch(text, /Archive +0 msgs/);
});

test('folders --no-counts: no totals at all rather than 0', () => {
  const text = renderAccounts([{ account: 'alice', mailboxes: [box('user.alice', null)], messages: null, size: null, uncounted: 0 }]);
  assert.match(text, /^alice {2}\(1 folder\)$/m);
  assert.doesNotMatch(text, /\b0 messages/);
});

test('deleted: ? msgs with the reason', () => {
  const d: DeletedFolder = {
    account: 'alice', originalFolder: 'Old', originalInternal: 'user.alice.Old', deletedAt: '2026-12-03T10:24:15.000Z', hex: '6B11434F',
    internal: 'DELETED.user.alice.Old.6B11434F', toolName: 'DELETED.user.alice.Old.6B11434F', originalExists: false, messages: null, size: null, countProblem: UNKNOWN,
  };
  assert.equal(renderDeleted([d]), `alice  "Old"  deleted 2026-12-03 10:24:15Z  ? msgs\n    DELETED.user.alice.Old.6B11434F\n    ? messages: ${UNKNOWN}`);
});
