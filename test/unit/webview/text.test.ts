import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as l10n from '@vscode/l10n';
import type { RestoreOutcome } from '../../../src/shared/previewProtocol';
import { messages, outcomeText, planCounts, progressText, restoreButton, skippedNote, sourceText, verifyText, whereText } from '../../../webview/text';

const summary = { messages: 3, skipped: 0, target: { kind: 'folder', folder: 'R' }, destinations: [{ folder: 'R/INBOX', messages: 2 }, { folder: 'R/Sent', messages: 1 }] } as const;

describe('preview wording', () => {
  it('says one message and many messages', () => {
    assert.equal(messages(1), '1 message');
    assert.equal(messages(0), '0 messages');
    assert.equal(messages(100000), '100,000 messages');
    assert.equal(planCounts(1, 1, false), '1 message, 1 shown');
    assert.equal(planCounts(100000, 99999, false), '100,000 messages, 99,999 shown');
    assert.equal(planCounts(1, 1, true), 'Loading… 1 message');
    assert.equal(restoreButton(1, 1), 'Restore 1 message');
    assert.equal(restoreButton(2, 5), 'Restore 2 messages');
    assert.equal(restoreButton(0, 1), 'Already there');
    assert.equal(restoreButton(0, 0), 'Restore 0 messages');
    assert.equal(skippedNote(1), '1 chosen message is already there and is skipped');
    assert.equal(skippedNote(2), '2 chosen messages are already there and are skipped');
  });

  it('names the set, where mail goes, progress and the verified result', () => {
    const o = { engine: 'dovecot', host: 'h', account: 'a' } as const;
    assert.equal(sourceText({ ...o, source: 'mirror' }), 'backup: the mirror');
    assert.equal(sourceText({ ...o, source: 'archive:20261122T041500Z-1' }), 'backup: archive point 20261122T041500Z-1');
    assert.equal(sourceText({ ...o, source: 'expunged' }), 'expunged mail (lazy_expunge)');
    assert.equal(sourceText({ ...o, engine: 'cyrus', source: 'expunged' }), 'expunged messages (Cyrus unexpunge)');
    assert.equal(whereText(summary.destinations, summary.target), 'R/INBOX and 1 more folder');
    assert.equal(whereText([], { kind: 'original' }), 'their original folders');
    assert.equal(progressText(summary, undefined), 'Restoring 3 messages into R/INBOX and 1 more folder…');
    assert.equal(progressText(summary, { done: 2, total: 3, unit: 'message', folder: 'Sent', destination: 'R/Sent' }), 'Restoring into R/Sent: 2 of 3 messages done');
    const r: RestoreOutcome = { restored: 1, skipped: 0, failed: 0, target: { kind: 'folder', folder: 'R' }, destinations: [{ folder: 'R', messages: 1 }], verify: { checked: 1, missing: 0 } };
    assert.equal(`${outcomeText(r)} ${verifyText(r)}`, 'Restored 1 into R; skipped 0 already present. Verify: 1 checked, missing=0.');
    assert.equal(outcomeText({ ...r, failed: 2 }), 'Restored 1 into R; skipped 0 already present; 2 failed.');
  });

  it('takes its sentences from the l10n bundle when there is one', () => {
    l10n.config({ contents: { '{0} messages': '{0} Nachrichten', '1 message': '1 Nachricht' } });
    try {
      assert.equal(messages(1), '1 Nachricht');
      assert.equal(messages(3), '3 Nachrichten');
      assert.equal(planCounts(3, 3, false), '3 messages, 3 shown', 'untranslated sentences stay English');
    } finally {
      l10n.config({ contents: {} });
    }
  });
});
