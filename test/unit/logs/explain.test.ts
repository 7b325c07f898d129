import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatStepLine } from '../../../src/core/backup/runlog';
import { classifyDsyncLine } from '../../../src/core/dovecot/warnings';
import { accountOf, explainLine } from '../../../src/core/logs/explain';

const ROOT = join(__dirname, '..', '..', '..');
const fixture = (name: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'logs', name), 'utf8').split('\n').filter((l) => l !== '');
const lines = fixture('dsync-stderr.log');
const find = (s: string) => lines.find((l) => l.includes(s))!;

describe('log line explanations', () => {
  it('explains the Modseq fallback as a full sync of that mailbox, not a loss, on the dsync part of the line', () => {
    const line = find('Modseq 9 no longer in transaction log (highest=21, last_common_uid=6, nextuid=7))');
    const e = explainLine(line, classifyDsyncLine);
    assert.equal(e.account, 'bob');
    assert.equal(e.findings.length, 1);
    const [f] = e.findings;
    assert.equal(f!.kind, 'incremental-sync-fallback');
    assert.equal(f!.severity, 'warning');
    assert.match(f!.meaning, /not a loss/);
    assert.equal(f!.fields.mailbox, 'INBOX');
    // the same line as it appears in a syslog file: the finding starts at dsync(…)
    const syslog = `Nov 22 04:15:00 mail dovecot: ${line}`;
    const s = explainLine(syslog, classifyDsyncLine).findings[0]!;
    assert.equal(s.kind, 'incremental-sync-fallback');
    assert.equal(syslog.slice(s.start, s.start + 10), 'dsync(bob)');
  });

  it('explains "Remote lost mailbox GUID" as exit 2, run again', () => {
    const e = explainLine(find('Remote lost mailbox GUID'), classifyDsyncLine);
    assert.equal(e.findings[0]!.kind, 'desync-remote-lost-mailbox');
    assert.match(e.findings[0]!.meaning, /exit 2/);
    assert.match(e.findings[0]!.action, /run the backup again/);
  });

  it('reads accounts in every form the tools print', () => {
    assert.equal(accountOf('dsync(another_address at my.domain): Warning: Mailbox changes caused a '), 'another_address@my.domain');
    assert.equal(accountOf(fixture('dovecot-log_path.log').find((l) => l.includes('user=<'))!), 'alice');
    assert.equal(accountOf(fixture('dovecot-log_path.log').find((l) => l.includes('imap(alice)'))!), 'alice');
    assert.equal(accountOf(fixture('cyrus-tools.txt')[0]!), 'alice');
    assert.equal(accountOf(formatStepLine({ time: '2026-11-22T04:15:00Z', step: 'dsync', status: 'ok', fields: { account: "o'neil $(x) ü" } })), "o'neil $(x) ü");
    assert.equal(accountOf(fixture('cyrus-syslog.log')[0]!), undefined);
  });

  it('explains exit codes where a line reports one (operator script, Mailops result line)', () => {
    const op = explainLine('Syncing x failed. Return code 75. Took 3 seconds.');
    assert.equal(op.findings[0]!.kind, 'exit-75');
    assert.equal(op.findings[0]!.exitCode, 75);
    assert.match(op.findings[0]!.meaning, /temporary failure/);
    const result = formatStepLine({ time: '2026-11-22T04:15:00Z', step: 'run', status: 'result', fields: { ok: 'no', exit: '2', account: 'bob' } });
    const r = explainLine(result);
    assert.equal(r.account, 'bob');
    const exit = r.findings.find((f) => f.kind === 'exit-2')!;
    assert.equal(exit.severity, 'warning');
    assert.match(exit.action, /run the backup again/);
    assert.deepEqual(explainLine('MAILOPS 2026-11-22T04:15:00Z run result ok=yes exit=0').findings, []);
  });

  it('flags failed and warning steps of a Mailops run log', () => {
    const fail = explainLine(formatStepLine({ time: '2026-11-22T04:15:00Z', step: 'lock', status: 'fail', fields: { meaning: 'another run holds the lock' } }));
    assert.equal(fail.findings[0]!.severity, 'error');
    assert.equal(fail.findings[0]!.meaning, 'another run holds the lock');
    assert.deepEqual(explainLine(formatStepLine({ time: '2026-11-22T04:15:00Z', step: 'lock', status: 'ok', fields: {} })).findings, []);
  });

  it('explains Cyrus DBERROR, Failed to open mailbox and fatal errors', () => {
    const db = explainLine(fixture('cyrus-syslog.log')[0]!).findings;
    assert.equal(db.length, 1);
    assert.equal(db[0]!.kind, 'cyrus-dberror');
    const [open, fatal] = fixture('cyrus-tools.txt');
    assert.equal(explainLine(open!).findings[0]!.kind, 'cyrus-open-failed');
    assert.match(explainLine(open!).findings[0]!.meaning, /can still exit 0|may still exit 0/);
    assert.equal(explainLine(fatal!).findings[0]!.kind, 'cyrus-fatal');
  });

  it('leaves ordinary lines alone and does not take Info lines for problems', () => {
    const info = fixture('dovecot-log_path.log')[0]!;
    assert.deepEqual(explainLine(info, classifyDsyncLine).findings, []);
    const login = fixture('dovecot-log_path.log').find((l) => l.includes('user=<'))!;
    assert.deepEqual(explainLine(login, classifyDsyncLine).findings, []);
  });
});
