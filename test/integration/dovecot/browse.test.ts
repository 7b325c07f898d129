/**
 * Browsing against the REAL sandbox Dovecot over the REAL sshd through the CLI (--json), and the whole
 * backup → expunge → restore → verify path on the hostile account (quote, spaces, $(…), backticks,
 * non-ASCII in account and folder names): correct results and nothing executed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackup } from '../../../src/core/dovecot/backup';
import { sandboxStatus } from '../../support/sandbox';
import { assertNotPwned, cli, doveadm, liveMessages, reseed, setupEnv, sorted, type Env } from './restore-helpers';

let env: Env;
let status: Awaited<ReturnType<typeof sandboxStatus>>;

describe('dovecot browse (sandbox)', { timeout: 600_000 }, () => {
  before(async () => {
    env = await setupEnv('browse');
    await reseed('hostile');
    status = await sandboxStatus();
  });
  after(async () => {
    await env?.cleanup();
    assertNotPwned();
  });

  test('accounts: every seeded account, hostile name intact', async () => {
    const r = await cli(env, ['accounts']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sorted(r.json.map((a: { name: string }) => a.name)), sorted(status.dovecot.accounts.map((a) => a.name)));
    assert.ok(r.json.some((a: { name: string }) => a.name === env.hostile));
  });

  test('mailboxes of the hostile account: names and counts as seeded', async () => {
    const r = await cli(env, ['mailboxes', env.hostile]);
    assert.equal(r.code, 0, r.stderr);
    const seeded = status.dovecot.accounts.find((a) => a.name === env.hostile)!.mailboxes;
    const got = Object.fromEntries(r.json.map((m: { name: string; messages: number }) => [m.name, m.messages]));
    assert.deepEqual(got, seeded);
    for (const m of r.json) {
      assert.equal(m.account, env.hostile);
      assert.match(m.guid, /^[0-9a-f]{32}$/);
      assert.ok(m.uidvalidity > 0 && m.uidnext >= 1);
    }
  });

  test('messages of every hostile folder: the seeded count, plain summaries, ascending uids', async () => {
    const seeded = status.dovecot.accounts.find((a) => a.name === env.hostile)!.mailboxes;
    for (const [name, count] of Object.entries(seeded)) {
      const r = await cli(env, ['messages', env.hostile, name]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.json.length, count, name);
      for (const m of r.json) {
        assert.equal(m.mailbox, name);
        assert.ok(m.uid > 0 && m.size > 0 && m.guid && m.received, JSON.stringify(m));
        assert.ok(!/=\?[^?]+\?[bBqQ]\?/.test(m.subject), `decoded subject: ${m.subject}`);
      }
      const uids = r.json.map((m: { uid: number }) => m.uid);
      assert.deepEqual(uids, [...uids].sort((a, b) => a - b));
    }
  });

  test('a missing mailbox is "no such mailbox", exit 1 (doveadm fetch alone would print [] and exit 0)', async () => {
    const r = await cli(env, ['messages', env.hostile, 'No Such $(x) Folder']);
    assert.equal(r.code, 1);
    assert.match(r.json.message, /no such mailbox/);
    const raw = await doveadm(env, ['-f', 'json', 'fetch', '-u', env.hostile, 'uid', 'mailbox', 'No Such $(x) Folder']);
    assert.equal(raw.trim(), '[]', 'the trap is real');
  });

  test('hostile account: mirror, expunge in the $(…) folder and delete another, restore exactly those, verify', async () => {
    const b = await runBackup(env.ctx, env.hostile, { kind: 'mirror', fresh: true });
    assert.ok(b.ok, JSON.stringify(b));
    const before = (await liveMessages(env, env.hostile)).filter((m) => m.mailbox !== env.lazy);
    const meta = before.find((m) => m.mailbox.includes('$(') && m.mailbox.includes('`'))!;
    assert.ok(meta, 'the shell-meta folder has a message');
    const quoted = before.filter((m) => m.mailbox.includes('"'));
    assert.ok(quoted.length > 0);
    await doveadm(env, ['expunge', '-u', env.hostile, 'mailbox-guid', (await cli(env, ['mailboxes', env.hostile])).json.find((x: { name: string }) => x.name === meta.mailbox).guid, 'uid', String(meta.uid)]);
    await doveadm(env, ['mailbox', 'delete', '-u', env.hostile, quoted[0]!.mailbox]);

    const mirrorView = await cli(env, ['messages', env.hostile, meta.mailbox, '--source', 'mirror']);
    assert.equal(mirrorView.code, 0, mirrorView.stderr);
    assert.ok(mirrorView.json.some((m: { guid: string }) => m.guid === meta.guid), 'the mirror still has it');

    const plan = await cli(env, ['restore', env.hostile, '--from', 'mirror', '--into-original', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(sorted(plan.json.plan.toRestore.map((m: { guid: string }) => m.guid)), sorted([meta.guid, ...quoted.map((m) => m.guid)]));
    const applied = await cli(env, ['restore', env.hostile, '--from', 'mirror', '--into-original', '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    const after = (await liveMessages(env, env.hostile)).filter((m) => m.mailbox !== env.lazy);
    assert.deepEqual(sorted(after.map((m) => `${m.mailbox}\u0000${m.guid}`)), sorted(before.map((m) => `${m.mailbox}\u0000${m.guid}`)), 'every message back in its folder');
    const v = await cli(env, ['verify', env.hostile]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.totals.missing, 0);
    const undo = await cli(env, ['restore', env.hostile, '--undo', applied.json.opId, '--dry-run']);
    assert.equal(undo.json.expunge.length, 1 + quoted.length);
  });
});
