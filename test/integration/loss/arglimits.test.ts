/**
 * Issue 11.11, on the real sandbox host (d12 and d13): no list goes on one command line past what Linux
 * accepts for one argument (MAX_ARG_STRLEN, 128 KiB; the SSH transport hands the whole remote command line
 * to the login shell as ONE argument).
 *
 * - unexpunge of 20,000 expunged messages (UIDs 100001-120000: 140 KB of UIDs). Seeding 20,000 messages
 *   over IMAP APPEND takes ~50 ms each (~17 minutes), so the message files are written straight into the
 *   folder's spool directory and `reconstruct` indexes them (seconds); they are then expunged over IMAP as
 *   the owner (delayed expunge keeps them). Before the fix: one `unexpunge -u` with every UID: the command
 *   never ran ("Argument list too long").
 * - a mirror backup of an account with 2,400 mailboxes: the dsync state doveadm prints is ~141 KB, and
 *   doveadm takes it only as the argument of -s. Before the fix: every run after the first failed (exit
 *   126). (2,100 mailboxes, as first planned, still fit: the limit is ~2,230.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup } from '../../../src/core/dovecot/backup';
import { readCatalogue } from '../../../src/core/dovecot/catalogue';
import { unexpunge, listExpunged, UNEXPUNGE_UID_CHUNK } from '../../../src/core/cyrus/expunged';
import { cyrusUser, dovecotAccount, sandboxHostId } from '../../support/sandbox';
import { ImapClient } from '../../support/imap';
import { doveadm, onHost, reseed, setupLoss, sha256OnHost, type LossEnv } from './helpers';

let env: LossEnv;

before(async () => {
  env = await setupLoss('arglimits');
});
after(async () => {
  await env?.cleanup();
});

async function imapAs(user: string): Promise<ImapClient> {
  const [host, port] = env.info.cyrus.imap.split(':');
  const c = await ImapClient.connect({ host: host!, port: Number(port) });
  await c.login(user, cyrusUser(env.info, user).password);
  return c;
}

describe(`11.11 long lists never go on one command line (${sandboxHostId()})`, () => {
  test('11.11 unexpunge of 20,000 expunged messages (UIDs 100001-120000) restores them all, in calls of 2,000', async () => {
    const N = 20_000;
    const FIRST = 100_001;
    const folder = 'lossbulk';
    const internal = `user.alice.${folder}`;
    const tools = env.info.cyrus.toolsDir;
    const conf = env.info.cyrus.config;
    await reseed('cyrus', 'alice');
    try {
      const c = await imapAs('alice');
      try {
        await c.create(`INBOX.${folder}`);
      } finally {
        await c.logout().catch(() => undefined);
      }
      const dir = (await onHost([`${tools}/mbpath`, '-C', conf, internal])).trim();
      assert.match(dir, /^\//, `mbpath printed a path: ${dir}`);
      const t0 = Date.now();
      // Files named by UID, as Cyrus keeps them; owned like the folder; then reconstruct indexes them.
      await onHost([
        'sh',
        '-c',
        'i=$2; end=$(($2 + $3 - 1)); while [ "$i" -le "$end" ]; do printf "From: bulk@example.org\\r\\nTo: alice@cyrus.test\\r\\nSubject: bulk %s\\r\\nMessage-ID: <loss.bulk.%s@mailops.test>\\r\\nDate: Mon, 1 Jan 2024 08:00:00 +0000\\r\\n\\r\\nbody %s\\r\\n" "$i" "$i" "$i" >"$1/$i."; i=$((i + 1)); done; chown -R --reference="$1" "$1"',
        'mailops-test-seed',
        dir,
        String(FIRST),
        String(N),
      ]);
      await onHost([`${tools}/reconstruct`, '-C', conf, internal]);
      const seededMs = Date.now() - t0;
      const s = await imapAs('alice');
      try {
        assert.equal((await s.select(`INBOX.${folder}`)).exists, N, 'reconstruct indexed every file');
        const list = await s.uids();
        assert.equal(list.length, N);
        assert.equal(list[0], FIRST);
        assert.equal(list.at(-1), FIRST + N - 1);
        await s.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
        await s.command('EXPUNGE');
      } finally {
        await s.logout().catch(() => undefined);
      }
      let expunged = 0;
      for await (const _ of listExpunged(env.cyrus, 'alice', folder)) expunged++;
      assert.equal(expunged, N, 'unexpunge -l lists them all');

      const uids = Array.from({ length: N }, (_, i) => FIRST + i);
      assert.ok(uids.map(String).join(' ').length > 131_072, 'the UIDs alone are longer than one argument may be');
      const t1 = Date.now();
      const plan = await unexpunge(env.cyrus, { account: 'alice', folder, uids });
      assert.equal(plan.commands.length, Math.ceil(N / UNEXPUNGE_UID_CHUNK));
      assert.ok(plan.commands.every((argv) => argv.join(' ').length < 64 * 1024));
      assert.equal(plan.result?.count, N, JSON.stringify({ count: plan.result?.count, restored: plan.result?.restored.length }));
      assert.equal(plan.result?.restored.length, N);
      const v = await imapAs('alice');
      try {
        assert.equal((await v.select(`INBOX.${folder}`)).exists, N, 'all 20,000 are back in the folder');
      } finally {
        await v.logout().catch(() => undefined);
      }
      console.log(`# ${sandboxHostId()}: seeding ${N} messages took ${seededMs} ms, unexpunge ${Date.now() - t1} ms`);
    } finally {
      await reseed('cyrus', 'alice');
    }
  });

  test('11.11 a mirror of an account with 2,400 mailboxes (dsync state > 128 KiB) backs up, incrementally, run after run', async () => {
    const account = dovecotAccount(env.info, 'alice');
    await reseed('dovecot', 'alice');
    try {
      for (let k = 0; k < 24; k++) {
        const names = Array.from({ length: 100 }, (_, i) => `lossbox${String(k * 100 + i).padStart(4, '0')}`);
        await doveadm(env, 'mailbox', 'create', '-u', account.name, ...names);
      }
      const layout = dovecotLayout(env.dovecot.config, account.name);
      const first = await runBackup(env.dovecot, account.name, { kind: 'mirror' });
      assert.equal(first.exitCode, 0, JSON.stringify(first));
      const stateChars = Number((await onHost(['sh', '-c', 'head -n 1 "$1" | tr -d "\\n" | wc -c', 'x', layout.state])).trim());
      assert.ok(stateChars > 131_072, `the state is longer than one argument may be (${stateChars} characters)`);

      // A change in a seeded folder before the second run; the third has nothing to do (it may write the
      // same state again). Both are stateful, with the state cut down on the host.
      // (A second expunge before the third run makes doveadm exit 75 on both hosts: "Deleting mailbox
      // 'EXPUNGED': UID=2 already exists locally for a different mail". Most likely lazy_expunge copying into
      // the MIRROR's EXPUNGED what dsync expunges there; not verified, nor whether the cut state plays a
      // part: reported to the lead, not covered here.)
      const uid = (await doveadm(env, '-f', 'flow', 'search', '-u', account.name, 'mailbox', 'Work Stuff', 'all')).trim().split('\n')[0]!.split(' ')[1]!;
      await doveadm(env, 'expunge', '-u', account.name, 'mailbox', 'Work Stuff', 'uid', uid);
      for (let run = 0; run < 2; run++) {
        const lines: string[] = [];
        const before = await sha256OnHost(layout.state);
        const r = await runBackup(env.dovecot, account.name, { kind: 'mirror' }, { onLine: (l) => lines.push(l) });
        assert.equal(r.exitCode, 0, `run ${run + 2}: ${JSON.stringify(r)}\n${lines.join('\n')}`);
        assert.equal(r.doveadmExit, 0);
        assert.equal(r.stateReplaced, true);
        if (run === 0) assert.notEqual(await sha256OnHost(layout.state), before, 'the expunge changed the state');
        assert.ok(lines.some((l) => /^MAILOPS \S+ dsync start attempt=1 mode=incremental /.test(l)), lines.join('\n'));
        assert.ok(lines.some((l) => /^MAILOPS \S+ dsync info reason=state-trimmed chars=\d+ sent=\d+ mailboxes=24\d\d kept=2\d\d\d /.test(l)), lines.join('\n'));
        assert.ok(!r.warnings.some((w) => /invalid/i.test(w.message ?? '')), JSON.stringify(r.warnings));
        assert.ok(!lines.some((l) => /Argument list too long|state is invalid/i.test(l)), lines.join('\n'));
      }
      const cat = await readCatalogue(env.dovecot, account.name);
      assert.equal(cat.mirror!.mailboxes.length >= 2400, true, `${cat.mirror!.mailboxes.length} mailboxes in the state`);
      assert.equal(cat.mirror!.mailboxes.find((m) => m.mailbox === 'Work Stuff')?.messageCount, account.mailboxes['Work Stuff']! - 1, 'the expunge reached the mirror');
    } finally {
      await reseed('dovecot', 'alice');
    }
  });
});
