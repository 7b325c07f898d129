/**
 * Dovecot 2.4 and "never trust that a backup was read", against the REAL sandbox host of this run (d12: Dovecot
 * 2.3.19, d13: Dovecot 2.4.1) over its REAL sshd. Written once, run per host; what differs by generation says so.
 *   - probe (without --server) finds Dovecot, its dialect and its lazy_expunge mailbox;
 *   - mail added to live after the mirror backup is reported by verify as newer than the backup, and the
 *     backup side has one message fewer (it was read, not the live mail);
 *   - a message expunged after the backup comes back from the mirror, from an archive point and from
 *     lazy_expunge;
 *   - a set opened under an override Dovecot does not honour (a misspelled key, injected) is refused with an
 *     error naming the host, the account, the set and the dialect; with the right key it opens.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackup } from '../../../src/core/dovecot/backup';
import { openSet } from '../../../src/core/dovecot/sets';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { MailopsError } from '../../../src/core/errors';
import { SET_MARKER, parseSetMarker } from '../../../src/core/dovecot/setProof';
import type { ProbeReport } from '../../../src/core/probe';
import { sandboxStatus, type SandboxInfo } from '../../support/sandbox';
import { assertNotPwned, cli, deliver, doveadm, liveMessages, reseed, setupEnv, type Env } from './restore-helpers';

const A = 'alice';
let env: Env;
let sb: SandboxInfo;
/** The dialect this host's Dovecot must be read in: Debian 13 ships 2.4.1, Debian 12 2.3.19. */
let dialect: '2.3' | '2.4';

/** Misspell the key that points doveadm at the copy, as a Dovecot that does not know it would see it. */
function misspellPathKey(o: Record<string, string>): Record<string, string> {
  const key = 'mail_path' in o ? 'mail_path' : 'mail_location';
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k === key ? `${k}x` : k, v]));
}

describe(`dovecot dialects and proved backup reads (sandbox ${process.env.MAILOPS_SANDBOX_HOST || 'd12'})`, { timeout: 900_000 }, () => {
  before(async () => {
    env = await setupEnv('dialect24');
    sb = await sandboxStatus();
    dialect = sb.host.debian === 13 ? '2.4' : '2.3';
    await reseed('alice');
  });
  after(async () => {
    await env?.cleanup();
    assertNotPwned();
  });

  test('probe: Dovecot detected with its dialect, storage and lazy_expunge mailbox (2.4: without mail_location)', async () => {
    const r = await cli(env, ['probe']);
    assert.equal(r.code, 0, r.stderr);
    const p = r.json as ProbeReport;
    assert.ok(p.detected.includes('dovecot'), JSON.stringify(p.detected));
    assert.equal(p.dovecot?.dialect, dialect, p.dovecot?.dialectEvidence);
    assert.deepEqual(p.dovecot?.lazyExpunge, { enabled: true, mailbox: sb.dovecot.lazyExpunge });
    assert.deepEqual(p.dovecot?.mailPlugins, ['lazy_expunge']);
    assert.equal(p.dovecot?.storage?.driver, 'maildir');
    // The sandbox describes its layout in its own dialect's words (LAYOUT=fs, mailbox_list_layout=fs).
    assert.equal(p.dovecot?.storage?.layout, /LAYOUT=fs|mailbox_list_layout=fs/.test(sb.dovecot.layout) ? 'fs' : 'maildir++', sb.dovecot.layout);
    if (dialect === '2.4') {
      assert.equal(p.dovecot?.mailLocation, null, '2.4 has no mail_location');
      assert.equal(p.dovecot?.maildirlock, null, '2.4 ships no maildirlock');
    } else assert.match(p.dovecot?.mailLocation ?? '', /^maildir:/);
    assert.match(p.dovecot?.version ?? '', dialect === '2.4' ? /^2\.4\./ : /^2\.3\./);
    assert.equal(p.cyrus?.cyrusVersion?.major, 3);
    assert.equal(p.cyrus?.cyrusVersion?.minor, sb.host.debian === 13 ? 10 : 6);
  });

  test('verify: mail added after the mirror backup is newer than the backup; the backup was read, not live', async () => {
    const r0 = await runBackup(env.ctx, A, { kind: 'mirror', fresh: true });
    assert.ok(r0.ok, JSON.stringify(r0));
    // The marker the run wrote names the account and this host's dialect.
    const marker = await env.ctx.transport.run(['cat', `${dovecotLayout(env.host, A).mirror}/${SET_MARKER}`]);
    assert.equal(marker.code, 0, marker.stderr);
    assert.deepEqual([parseSetMarker(marker.stdout)?.account, parseSetMarker(marker.stdout)?.dialect], [A, dialect]);

    await deliver(env, A, 'INBOX', 'dialect24: arrived after the backup');
    const r = await cli(env, ['verify', A]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const inbox = r.json.mailboxes.find((m: { mailbox: string }) => m.mailbox === 'INBOX');
    assert.equal(inbox.missing, 1, JSON.stringify(inbox));
    assert.equal(inbox.missingNewer, 1);
    assert.equal(inbox.missingOlder, 0);
    assert.equal(inbox.missingSamples[0].subject, 'dialect24: arrived after the backup');
    assert.equal(inbox.backup, inbox.live - 1, 'the backup side is the mirror: one message fewer than live');
    assert.equal(r.json.totals.backup, r.json.totals.live - 1);
  });

  test('one message expunged after the backup comes back from the mirror, from an archive point and from lazy_expunge', async () => {
    await reseed('alice');
    const full = await runBackup(env.ctx, A, { kind: 'full', fresh: true });
    assert.ok(full.ok && full.archive, JSON.stringify(full));
    const sources = ['mirror', `archive:${full.archive.id}`, 'expunged'];
    for (const from of sources) {
      const live = (await liveMessages(env, A)).filter((m) => m.mailbox === 'Work Stuff' && !m.flags.includes('$Restored'));
      const victim = live.sort((a, b) => a.uid - b.uid)[0];
      assert.ok(victim, `a seeded Work Stuff message to expunge before restoring from ${from}`);
      await doveadm(env, ['expunge', '-u', A, 'mailbox', 'Work Stuff', 'uid', String(victim.uid)]);
      assert.ok(!(await liveMessages(env, A)).some((m) => m.guid === victim.guid && m.mailbox === 'Work Stuff'), 'gone from live');

      const plan = await cli(env, ['restore', A, '--from', from, '--guid', victim.guid, '--into-original', '--dry-run']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.deepEqual(plan.json.plan.toRestore.map((m: { guid: string }) => m.guid), [victim.guid], `${from}: exactly the expunged message`);
      const applied = await cli(env, ['restore', A, '--from', from, '--guid', victim.guid, '--into-original', '--yes']);
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.json.restored.length, 1, `${from}: ${JSON.stringify(applied.json)}`);
      assert.deepEqual(applied.json.notConfirmed, []);
      const back = (await liveMessages(env, A)).find((m) => m.guid === victim.guid && m.mailbox === 'Work Stuff');
      assert.ok(back, `${from}: the message is back in Work Stuff`);
      assert.ok(back.flags.includes('$Restored'));
    }
  });

  test('an override Dovecot does not honour is refused (mirror and archive point), naming host, account, set and dialect', async () => {
    const full = await runBackup(env.ctx, A, { kind: 'full' });
    assert.ok(full.ok && full.archive, JSON.stringify(full));
    for (const ref of [{ kind: 'mirror' as const }, { kind: 'archive' as const, archiveId: full.archive.id }]) {
      const label = ref.kind === 'mirror' ? 'mirror' : `archive:${ref.archiveId}`;
      await assert.rejects(
        openSet(env.ctx, A, ref, { alterOverrides: misspellPathKey }),
        (e: unknown) => {
          assert.ok(e instanceof MailopsError, String(e));
          assert.equal(e.host, env.host.name);
          assert.match(e.message, new RegExp(`refusing to read the ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} of alice \\(Dovecot ${dialect.replace('.', '\\.')} dialect\\)`));
          assert.match(e.meaning ?? '', /LIVE mail/);
          return true;
        },
      );
      // The same set with the dialect's own keys opens, and its folder is the set's.
      const set = await openSet(env.ctx, A, ref);
      try {
        assert.equal(set.dialect, dialect);
        assert.ok(set.path && JSON.stringify(set.overrides).includes(set.path), JSON.stringify(set.overrides));
      } finally {
        await set.close();
      }
    }
  });
});
