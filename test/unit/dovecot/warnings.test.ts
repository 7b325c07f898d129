import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyDsyncLine, explainBackupExit } from '../../../src/core/dovecot/warnings';

const FIX = join(__dirname, '../../fixtures/dovecot');
const lines = (name: string) => readFileSync(join(FIX, name), 'utf8').split('\n').filter((l) => l !== '');

/** The mailing-list archive wraps lines at ~72 columns: join continuation lines back (they do not start a new message). */
function unwrapOperatorText(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.replace(/\s+$/, '');
    if (l === '') continue;
    if (/^(dsync\(|Synced )/.test(l) || out.length === 0) out.push(l);
    else out[out.length - 1] += ` ${l}`;
  }
  return out;
}

describe('classifyDsyncLine on the operator\'s real warnings (Dovecot 2.3.4.1, mailing list)', () => {
  const [fallback, desync, summary] = unwrapOperatorText(readFileSync(join(FIX, 'operator-000-dsync-warnings.txt'), 'utf8'));
  test('incremental sync fallback: a full sync of that mailbox, slower, not a loss', () => {
    const w = classifyDsyncLine(fallback!);
    assert.ok(w);
    assert.equal(w.kind, 'incremental-sync-fallback');
    assert.equal(w.severity, 'warning');
    assert.deepEqual(w.fields, { mailbox: 'INBOX', modseq: '171631', highest: '177818', lastCommonUid: '177308', nextUid: '177309' });
    assert.match(w.meaning, /FULL sync/);
    assert.match(w.meaning, /not a loss/);
    assert.equal(w.user, 'another_address at my.domain');
  });
  test('remote lost mailbox: exit 2, run again', () => {
    const w = classifyDsyncLine(desync!);
    assert.ok(w);
    assert.equal(w.kind, 'desync-remote-lost-mailbox');
    assert.equal(w.fields.guid, 'e9149d0ae4e02d532505000026ca4352');
    assert.match(w.meaning, /exit 2/);
    assert.match(w.action, /run the backup again/);
  });
  test("the operator script's own summary line is not a dsync line", () => {
    assert.equal(classifyDsyncLine(summary!), null);
  });
});

describe('classifyDsyncLine on texts captured from Dovecot 2.3.19 here', () => {
  test('exit 2 of concurrent backups: remote lost mailbox', () => {
    const [l] = lines('backup-exit2-concurrent.stderr');
    const w = classifyDsyncLine(l!);
    assert.equal(w?.kind, 'desync-remote-lost-mailbox');
    assert.equal(w?.user, 'bob');
    assert.equal(explainBackupExit(2, [w!]).outcome, 'not-in-sync');
  });
  test('exit 65 after a UIDVALIDITY change', () => {
    const ws = lines('backup-exit65-uidvalidity.stderr').map(classifyDsyncLine);
    assert.equal(ws[0]?.kind, 'uidvalidity-changed');
    assert.equal(ws[0]?.fields.mailbox, 'INBOX');
    const e = explainBackupExit(65, ws.filter((w) => w !== null));
    assert.equal(e.outcome, 'uidvalidity-changed');
    assert.match(e.action, /--fresh/);
  });
  test('exit 65 after a UIDVALIDITY change on Dovecot 2.4.1 ("brain S: " before the same message)', () => {
    const text = readFileSync(join(__dirname, '../../fixtures/dovecot24/backup-exit65-uidvalidity.24.stderr'), 'utf8');
    const ws = text.split('\n').filter(Boolean).map(classifyDsyncLine);
    assert.equal(ws[0]?.kind, 'uidvalidity-changed');
    assert.equal(ws[0]?.fields.mailbox, 'INBOX');
    assert.equal(explainBackupExit(65, ws.filter((w) => w !== null)).outcome, 'uidvalidity-changed');
  });
  test('invalid saved state (size and base64), falling back to full sync', () => {
    const a = classifyDsyncLine(lines('backup-exit65-invalid-state-size.stderr')[0]!);
    const b = classifyDsyncLine(lines('backup-exit65-invalid-state-base64.stderr')[0]!);
    assert.equal(a?.kind, 'invalid-state');
    assert.equal(a?.fields.reason, 'Invalid input size');
    assert.equal(b?.kind, 'invalid-state');
    assert.equal(b?.fields.reason, 'Invalid base64 data');
    assert.equal(a?.source, 'doveadm');
  });
  test('exit 75, destination not writable', () => {
    const ws = lines('backup-exit75-unwritable.stderr').map(classifyDsyncLine);
    assert.equal(ws[0]?.kind, 'permission-denied');
    assert.equal(ws[0]?.fields.owner, '0:0');
    assert.equal(ws[0]?.fields.mode, '0500');
    assert.equal(ws[0]?.fields.missingSearchPermission, '/tmp/mo-bk-dove/bk75/m');
    assert.equal(explainBackupExit(75, ws.filter((w) => w !== null)).outcome, 'not-writable');
  });
  test('exit 75, index log rotated past the saved modseq (2.3.19 exits 75, not 2)', () => {
    const ws = lines('backup-exit75-modseq-rotated.stderr').map(classifyDsyncLine);
    assert.equal(ws[0]?.kind, 'incremental-sync-fallback');
    assert.deepEqual(ws[0]?.fields, { mailbox: 'INBOX', modseq: '9', highest: '21', lastCommonUid: '6', nextUid: '7' });
    assert.equal(ws[1]?.kind, 'desync-incremental-failed');
    assert.equal(explainBackupExit(75, ws.filter((w) => w !== null)).outcome, 'incremental-failed');
  });
  test("exit 75, couldn't lock the sync lock", () => {
    const w = classifyDsyncLine(lines('backup-exit75-sync-lock.stderr')[0]!);
    assert.equal(w?.kind, 'lock-failed');
    assert.match(w!.fields.path!, /\.dovecot-sync\.lock$/);
    assert.ok(w?.fields.pid && /^\d+$/.test(w.fields.pid));
    assert.equal(explainBackupExit(75, [w!]).outcome, 'locked');
  });
  test('timeout during state (Dovecot source text form) and unknown lines', () => {
    const w = classifyDsyncLine('dsync-local(bob): Error: Timeout during state=sync_mails (send=mails recv=recv_last_common)');
    assert.equal(w?.kind, 'timeout');
    assert.equal(w?.fields.state, 'sync_mails');
    assert.equal(classifyDsyncLine('hello world'), null);
    assert.equal(classifyDsyncLine('dsync(bob): Warning: something new')?.kind, 'warning');
  });
  test('exit codes without warnings keep the doveadm meaning', () => {
    assert.equal(explainBackupExit(0, []).outcome, 'in-sync');
    assert.match(explainBackupExit(67, []).meaning, /no such user/);
    assert.match(explainBackupExit(75, []).meaning, /temporary failure/);
  });
});
