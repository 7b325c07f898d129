/**
 * The health record parser and the verdicts, on output captured from the real health script on both sandbox
 * generations (test/fixtures/health/<host>/, written by test/integration/health/health.test.ts with
 * MAILOPS_HEALTH_CAPTURE=1): before any backup, and after the integration test's scenario (alice: verify found
 * mail missing; bob: last mirror run failed (its lock path made a folder); carol: last mirror 3 h old; the hostile account: never; Cyrus: a
 * full backup). Plus the pure pieces: the exit-code table, stale/failing rules, a cut-off stream, the script.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { HealthFormatError, HealthStepError, HealthStreamParser, cyrusOwner, parseFacts, stampToEpoch, type AccountRecord, type BackupFacts } from '../../../src/core/health/records';
import { DEFAULT_POLICY, exitCodeOf, judgeAccount, judgeFacts, worstVerdict, type Verdict } from '../../../src/core/health/verdict';
import { buildHealthScript } from '../../../src/core/health/script';
import { parseDuration } from '../../../src/core/health/duration';
import { parseHostConfig } from '../../../src/core/hosts/model';
import { escapeLabel, PrometheusFile } from '../../../src/core/health/prometheus';
import { reportOf, type HostHealth } from '../../../src/core/health/check';
import { renderHealth } from '../../../src/cli/commands/health';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const FIXTURES = resolve(__dirname, '../../fixtures/health');
const HOSTILE = 'o’neil $(touch /tmp/mailops-pwned);`id` ü';

function read(host: string, name: string): string {
  return readFileSync(join(FIXTURES, host, name), 'utf8');
}

/** Parse a captured output; the verdict of every account, and the Cyrus host's shared problems. */
function judgeAll(text: string): { server: string; now: number; verdicts: Record<string, Verdict>; records: AccountRecord[]; hostFacts: BackupFacts | null } {
  const p = new HealthStreamParser();
  const verdicts: Record<string, Verdict> = {};
  const records: AccountRecord[] = [];
  let now = 0;
  let hostFacts: BackupFacts | null = null;
  let shared: ReturnType<typeof judgeFacts> | undefined;
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const ev = p.push(line);
    if (ev?.type === 'header') now = ev.now;
    if (ev?.type === 'host') {
      hostFacts = ev.facts;
      shared = judgeFacts(ev.facts, now, DEFAULT_POLICY, 'ROOT/cyrus');
    }
    if (ev?.type === 'account') {
      records.push(ev.record);
      verdicts[ev.record.account] = judgeAccount(ev.record, now, DEFAULT_POLICY, 'x', shared).verdict;
    }
  }
  const done = p.finish();
  assert.equal(done.accounts, records.length);
  return { server: done.server, now, verdicts, records, hostFacts };
}

for (const host of ['d12', 'd13']) {
  describe(`health output captured on ${host}`, () => {
    test('before any backup: every Dovecot account never, every Cyrus owner never', () => {
      const d = judgeAll(read(host, 'before-dovecot.txt'));
      assert.equal(d.server, 'dovecot');
      assert.deepEqual(d.verdicts, { alice: 'never', bob: 'never', carol: 'never', [HOSTILE]: 'never' });
      assert.ok(d.records.every((r) => !r.hasFolder));
      const c = judgeAll(read(host, 'before-cyrus.txt'));
      assert.equal(c.server, 'cyrus');
      assert.deepEqual(c.verdicts, { alice: 'never', bob: 'never' });
      assert.equal(c.hostFacts?.hasFolder, false);
    });

    test('after the scenario: missing, failing, stale, never; Cyrus ok', () => {
      const d = judgeAll(read(host, 'after-dovecot.txt'));
      assert.deepEqual(d.verdicts, { alice: 'missing', bob: 'failing', carol: 'stale', [HOSTILE]: 'never' });
      const by = Object.fromEntries(d.records.map((r) => [r.account, r]));
      assert.equal(by.alice!.verify?.missingOlder, 1);
      assert.equal(by.alice!.verify?.ok, false);
      assert.equal(by.alice!.lastArchive?.verified, true);
      assert.ok(by.alice!.full !== null && by.alice!.mirror !== null);
      assert.equal(by.alice!.runs.full?.result, 'ok');
      assert.equal(by.bob!.runs.mirror?.result, 'fail');
      assert.equal(by.bob!.runs.mirror?.exit, 1);
      assert.ok(d.now - by.carol!.mirror! >= 3 * 3600 - 120, 'carol\'s last mirror is 3 hours old');
      assert.equal(by[HOSTILE]!.hasFolder, false);
      const c = judgeAll(read(host, 'after-cyrus.txt'));
      assert.deepEqual(c.verdicts, { alice: 'ok', bob: 'ok' });
      assert.equal(c.hostFacts?.runs.full?.result, 'ok');
      assert.equal(c.hostFacts?.lastArchive?.verified, true);
      assert.ok(c.records.every((r) => r.inBackup === true));
    });

    test('a stream cut anywhere is an error, never fewer accounts', () => {
      const lines = read(host, 'after-dovecot.txt').replace(/\n$/, '').split('\n');
      for (let cut = 0; cut < lines.length; cut++) {
        const p = new HealthStreamParser();
        for (const l of lines.slice(0, cut)) p.push(l);
        assert.throws(() => p.finish(), HealthFormatError, `cut after ${cut} lines`);
      }
      // One account line lost in the middle: the END count says so.
      const p = new HealthStreamParser();
      for (const l of lines.filter((_, i) => i !== 2)) p.push(l);
      assert.throws(() => p.finish(), /printed 4 account lines, 3 arrived/);
    });
  });
}

describe('records', () => {
  test('stamps, owners, tokens', () => {
    assert.equal(stampToEpoch('20261203T140000Z'), Date.UTC(2026, 11, 3, 14) / 1000);
    assert.throws(() => stampToEpoch('2026-12-03'), HealthFormatError);
    assert.equal(cyrusOwner('user.alice'), 'alice');
    assert.equal(cyrusOwner('example.org!user.a^b'), 'a.b@example.org');
    const f = parseFacts('dir=1 w=0 run.mirror=20261203T140000Z,none,-,- warn.mirror=dsync:2+tool-error:1 v.time=2026-12-03T15:00:00Z v.missing=3 v.missing_older=0 v.ok=yes');
    assert.equal(f.writable, false);
    assert.deepEqual(f.runs.mirror, { kind: 'mirror', started: stampToEpoch('20261203T140000Z'), result: 'none', exit: null, ended: null, warnings: { dsync: 2, 'tool-error': 1 } });
    assert.equal(f.verify?.missing, 3);
    assert.throws(() => parseFacts('w=0'), /no dir=/);
    assert.throws(() => parseFacts('dir=1 warn.full=x:1'), /does not name/);
  });

  test('a failed step: the error names the step, its exit code and stderr', () => {
    const p = new HealthStreamParser();
    p.push('MAILOPS-HEALTH 1 dovecot 1796300000');
    p.push('X\tusers\t75');
    p.push('x\tdoveadm(root): Fatal: Error reading configuration');
    assert.throws(() => p.finish(), (e: unknown) => e instanceof HealthStepError && e.step === 'users' && e.exitCode === 75 && e.stderr[0] === 'doveadm(root): Fatal: Error reading configuration');
  });

  test('garbage and a wrong format version are refused', () => {
    assert.throws(() => new HealthStreamParser().push('hello'), /health header/);
    assert.throws(() => new HealthStreamParser().push('MAILOPS-HEALTH 2 dovecot 1'), /format 2/);
    const p = new HealthStreamParser();
    p.push('MAILOPS-HEALTH 1 dovecot 1');
    assert.throws(() => p.push('Q\tx'), /unknown line tag/);
  });
});

describe('verdicts', () => {
  const now = stampToEpoch('20261203T140000Z');
  const base: AccountRecord = { account: 'a', hasFolder: true, writable: true, mirror: now - 60, full: now - 3600, incr: null, lastArchive: { id: '20261203T130000Z-full', verified: true }, runs: {}, verify: null, inBackup: null };

  test('the exit-code table: CRITICAL beats UNKNOWN beats WARNING beats OK', () => {
    assert.equal(exitCodeOf([]), 0);
    assert.equal(exitCodeOf(['ok', 'stale']), 1);
    assert.equal(exitCodeOf(['unverified', 'unreachable']), 3);
    assert.equal(exitCodeOf(['stale', 'unreachable', 'never']), 2);
    assert.equal(worstVerdict(['stale', 'failing', 'never']), 'failing');
  });

  test('ok, stale by kind, never', () => {
    assert.deepEqual(judgeAccount(base, now, DEFAULT_POLICY, 'x'), { verdict: 'ok', problems: [] });
    const stale = judgeAccount({ ...base, mirror: now - 2 * 3600 - 1 }, now, DEFAULT_POLICY, 'x');
    assert.equal(stale.verdict, 'stale');
    assert.deepEqual(stale.problems.map((p) => p.kind), ['mirror']);
    assert.equal(judgeAccount({ ...base, full: now - 27 * 3600 }, now, DEFAULT_POLICY, 'x').problems[0]?.kind, 'full');
    assert.equal(judgeAccount({ ...base, mirror: null, full: null }, now, DEFAULT_POLICY, 'x').verdict, 'never');
  });

  test('a failed run is failing until a newer run of its kind succeeds; a run without result only when too old', () => {
    const failedAt = now - 600;
    const failed = { kind: 'mirror' as const, started: failedAt, result: 'fail' as const, exit: 1, ended: null, warnings: {} };
    assert.equal(judgeAccount({ ...base, mirror: failedAt - 60, runs: { mirror: failed } }, now, DEFAULT_POLICY, 'x').verdict, 'failing');
    assert.equal(judgeAccount({ ...base, mirror: failedAt + 60, runs: { mirror: failed } }, now, DEFAULT_POLICY, 'x').verdict, 'ok');
    const running = { ...failed, result: 'none' as const, exit: null };
    assert.equal(judgeAccount({ ...base, runs: { full: { ...running, kind: 'full' } } }, now, DEFAULT_POLICY, 'x').verdict, 'ok', 'a full started 10 minutes ago may still run');
    assert.equal(judgeAccount({ ...base, full: now - 30 * 3600, runs: { full: { ...running, kind: 'full', started: now - 27 * 3600 } } }, now, DEFAULT_POLICY, 'x').problems.map((p) => p.verdict).sort().join(), 'failing,stale');
  });

  test('not writable, unverified archive, missing mail, verify policy', () => {
    assert.equal(judgeAccount({ ...base, writable: false }, now, DEFAULT_POLICY, 'x').verdict, 'failing');
    assert.equal(judgeAccount({ ...base, lastArchive: { id: 'x', verified: false } }, now, DEFAULT_POLICY, 'x').verdict, 'unverified');
    const verify = { time: '2026-12-03T13:00:00Z', set: 'mirror', missing: 2, missingOlder: 1, extra: 0, ok: false };
    assert.equal(judgeAccount({ ...base, verify }, now, DEFAULT_POLICY, 'x').verdict, 'missing');
    assert.equal(judgeAccount({ ...base, verify: { ...verify, missingOlder: 0, ok: true } }, now, DEFAULT_POLICY, 'x').verdict, 'ok', 'mail newer than the backup is not missing');
    const strict = { ...DEFAULT_POLICY, verifyMaxAge: 1800 };
    assert.equal(judgeAccount(base, now, strict, 'x').verdict, 'unverified');
    assert.equal(judgeAccount({ ...base, verify: { ...verify, missingOlder: 0, ok: true } }, now, strict, 'x').verdict, 'unverified', 'the verify is an hour old');
  });

  test('a Cyrus owner: the host\'s problems count for it, reported once; not in the dump is never', () => {
    const shared = judgeFacts({ ...base, full: now - 30 * 3600, mirror: null }, now, DEFAULT_POLICY, 'x');
    const owner = { ...base, mirror: null, full: now - 30 * 3600, inBackup: true };
    assert.deepEqual(judgeAccount(owner, now, DEFAULT_POLICY, 'x', shared), { verdict: 'stale', problems: [] });
    const newOwner = judgeAccount({ ...owner, inBackup: false }, now, DEFAULT_POLICY, 'x', shared);
    assert.equal(newOwner.verdict, 'never');
    assert.equal(newOwner.problems[0]?.kind, 'backup');
  });
});

describe('script, policy, labels', () => {
  test('values travel as parameters; sh -n accepts both scripts', () => {
    const root = "/var/tmp/x'$(touch /tmp/mailops-pwned)`id`";
    const host = parseHostConfig({ name: 'h', transport: 'local', server: 'dovecot', dovecot: { config: '/etc/d c.conf', backupRoot: root }, cyrus: { config: '/etc/i.conf', backupRoot: root } });
    for (const server of ['dovecot', 'cyrus'] as const) {
      const b = buildHealthScript(host, server);
      assert.ok(!b.script.includes(root), 'the root is not in the script text');
      assert.ok(b.args.includes(root));
      const r = spawnSync('sh', ['-n', '-c', b.script]);
      assert.equal(r.status, 0, String(r.stderr));
    }
  });

  test('policy durations from the host configuration', () => {
    assert.equal(parseDuration('26h'), 26 * 3600);
    assert.equal(parseDuration(7200), 7200);
    assert.equal(parseDuration('90m'), 5400);
    assert.equal(parseDuration('soon'), null);
    const h = parseHostConfig({ name: 'h', transport: 'local', health: { maxAge: { mirror: '30m', full: '8d' }, verifyMaxAge: '7d' } });
    assert.deepEqual(h.health, { maxAge: { mirror: 1800, full: 8 * 86400, incr: undefined }, verifyMaxAge: 7 * 86400 });
    assert.throws(() => parseHostConfig({ name: 'h', transport: 'local', health: { maxAge: { weekly: '1d' } } }), /unknown kind/);
    assert.throws(() => parseHostConfig({ name: 'h', transport: 'local', health: { verifyMaxAge: 'soon' } }), /duration/);
  });

  test('Prometheus label values are escaped', () => {
    assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  });

  test('the metrics file: families grouped with HELP/TYPE, replaced atomically, no part file left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailops-prom-'));
    try {
      const target = join(dir, 'mailops.prom');
      writeFileSync(target, 'old\n');
      const m = new PrometheusFile(target);
      const rec = (account: string): AccountRecord => ({ account, hasFolder: true, writable: true, mirror: 100, full: 50, incr: null, lastArchive: null, runs: {}, verify: account === 'a"b' ? { time: '2026-12-03T13:00:00Z', set: 'mirror', missing: 1, missingOlder: 1, extra: 0, ok: false } : null, inBackup: null });
      m.account({ host: 'h', server: 'dovecot', record: rec('a"b'), verdict: 'missing' });
      m.account({ host: 'h', server: 'dovecot', record: rec('c'), verdict: 'ok' });
      assert.equal(readFileSync(target, 'utf8'), 'old\n', 'the target is untouched until commit');
      m.commit();
      const text = readFileSync(target, 'utf8');
      assert.deepEqual(readdirSync(dir), ['mailops.prom']);
      const families = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((x) => x[1]);
      assert.deepEqual(families, ['mailops_backup_last_success_timestamp_seconds', 'mailops_verify_missing_messages', 'mailops_verify_last_timestamp_seconds', 'mailops_account_verdict']);
      // Every sample line follows its own family's TYPE line (samples of one family are together).
      let family = '';
      for (const line of text.trimEnd().split('\n')) {
        const t = /^# TYPE (\S+) /.exec(line);
        if (t) family = t[1]!;
        else if (!line.startsWith('#')) assert.ok(line.startsWith(`${family}{`), line);
      }
      assert.match(text, /^mailops_account_verdict\{host="h",server="dovecot",account="a\\"b",verdict="missing"\} 1$/m);
      assert.match(text, /^mailops_backup_last_success_timestamp_seconds\{host="h",server="dovecot",account="c",kind="full"\} 50$/m);
      const d = new PrometheusFile(target);
      d.account({ host: 'h', server: 'dovecot', record: rec('c'), verdict: 'ok' });
      d.discard();
      assert.deepEqual(readdirSync(dir), ['mailops.prom'], 'a discarded write leaves nothing');
      assert.equal(readFileSync(target, 'utf8'), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the text: one status line, then one line per problem; the exit code from the table', () => {
    const counts = (o: Partial<Record<Verdict, number>>) => ({ ok: 0, stale: 0, unverified: 0, failing: 0, never: 0, missing: 0, unreachable: 0, unknown: 0, ...o });
    const up: HostHealth = { host: 'mx1', server: 'dovecot', up: true, hostTime: 1, accounts: 3, counts: counts({ ok: 2, stale: 1 }), orphanFolders: 0, verdict: 'stale', problems: [{ host: 'mx1', account: 'bob', kind: 'mirror', verdict: 'stale', reason: 'old' }], problemsLeftOut: 0, error: null };
    const down: HostHealth = { host: 'mx2', server: 'cyrus', up: false, hostTime: null, accounts: 0, counts: counts({}), orphanFolders: 0, verdict: 'unreachable', problems: [{ host: 'mx2', account: '-', kind: 'host', verdict: 'unreachable', reason: 'the host did not answer: refused' }], problemsLeftOut: 0, error: { message: 'refused' } };
    const r = reportOf([up, down]);
    assert.equal(r.exitCode, 3);
    assert.equal(renderHealth(r), ['HEALTH UNKNOWN - 1/2 hosts answered (mx2 unreachable), 3 accounts, 2 ok, 1 stale', 'mx1 bob mirror stale: old', 'mx2 - host unreachable: the host did not answer: refused'].join('\n'));
    assert.equal(reportOf([up]).exitCode, 1);
    assert.equal(reportOf([{ ...up, verdict: 'ok', counts: counts({ ok: 3 }), problems: [] }]).state, 'OK');
  });
});
