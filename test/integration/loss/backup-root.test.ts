/**
 * Issue 11.14, on the real sandbox host (d12 and d13): the backup root is checked before root makes,
 * chmods or writes anything under it, and what Mailops makes is owner-only.
 *
 * Before the fix: a backupRoot under /tmp/x, where x is a symlink the (unprivileged) `mailops` user made,
 * had root create the whole backup tree wherever the user pointed it; a relative backupRoot was made in the
 * SSH session's working directory; the restore's ops.log was created 0644.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup } from '../../../src/core/dovecot/backup';
import { cyrusBackup } from '../../../src/core/cyrus/backup';
import { applyRestore, planRestore } from '../../../src/core/dovecot/restore';
import type { HostContext } from '../../../src/core/hosts/context';
import { UsageError } from '../../../src/core/errors';
import { sandboxHostId } from '../../support/sandbox';
import { doveadm, onHost, reseed, setupLoss, type LossEnv } from './helpers';

let env: LossEnv;
const tag = `${process.pid}-${Date.now()}`;
const target = `/var/tmp/mailops-loss-target-${tag}`;
const link = `/tmp/mailops-loss-x-${tag}`;
const owned = `/tmp/mailops-loss-owned-${tag}`;

before(async () => {
  env = await setupLoss('root');
  // As the unprivileged user would: a folder of its own, and a link to it in the world-writable /tmp.
  await onHost(['sh', '-c', 'mkdir -m 0755 "$1" "$3" && ln -s "$1" "$2" && chown mailops "$1" "$3" && chown -h mailops "$2"', 'x', target, link, owned]);
});
after(async () => {
  await onHost(['rm', '-rf', '--', target, owned]).catch(() => undefined);
  await onHost(['rm', '-f', '--', link]).catch(() => undefined);
  await env?.cleanup();
});

function withRoot(ctx: HostContext, root: string): HostContext {
  const c = ctx.config;
  return { transport: ctx.transport, config: c.server === 'cyrus' ? { ...c, cyrus: { ...c.cyrus!, backupRoot: root } } : { ...c, dovecot: { ...c.dovecot, backupRoot: root } } };
}

async function entries(dir: string): Promise<string> {
  return (await onHost(['ls', '-A', dir])).trim();
}

describe(`11.14 the backup root is checked; what Mailops makes is owner-only (${sandboxHostId()})`, () => {
  test('11.14 a backupRoot under /tmp/x, x a symlink made by the mailops user, is refused: nothing is made where it points', async () => {
    const root = `${link}/backups`;
    const lines: string[] = [];
    const r = await runBackup(withRoot(env.dovecot, root), 'bob', { kind: 'full' }, { onLine: (l) => lines.push(l) });
    assert.equal(r.exitCode, 1, JSON.stringify(r));
    assert.equal(r.failure?.step, 'path');
    assert.equal(r.failure?.reason, 'symlink');
    assert.equal(r.failure?.fields.path, link);
    assert.match(r.failure?.meaning ?? '', /symbolic link/);
    assert.ok(lines.some((l) => /^MAILOPS \S+ run result ok=no exit=1 reason=path /.test(l)), lines.join('\n'));
    assert.equal(await entries(target), '', 'nothing was created in the folder the link points to');

    const c = await cyrusBackup(withRoot(env.cyrus, root), { kind: 'full' });
    assert.equal(c.exitCode, 1);
    assert.equal(c.failure?.reason, 'symlink');
    assert.equal(await entries(target), '');
  });

  test('11.14 a backupRoot under a folder another user owns is refused', async () => {
    const r = await runBackup(withRoot(env.dovecot, `${owned}/backups`), 'bob', { kind: 'mirror' });
    assert.equal(r.exitCode, 1, JSON.stringify(r));
    assert.equal(r.failure?.reason, 'owner');
    assert.equal(r.failure?.fields.path, owned);
    assert.equal(await entries(owned), '');
  });

  test('11.14 a relative backupRoot is refused before anything runs on the host', async () => {
    await assert.rejects(runBackup(withRoot(env.dovecot, 'var/backups/mailops'), 'bob', { kind: 'mirror' }), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match((e as Error).message, /not an absolute path/);
      return true;
    });
    await assert.rejects(cyrusBackup(withRoot(env.cyrus, 'backups'), { kind: 'full' }), /not an absolute path/);
    await assert.rejects(runBackup(withRoot(env.dovecot, '/var/tmp/../tmp/x'), 'bob', { kind: 'mirror' }), /\. or \.\. component/);
  });

  test('11.14 the root of mkdtemp under /var/tmp (root, 0755, below the sticky /var/tmp) is accepted; ops.log is 0600, folders owner-only', async () => {
    await reseed('dovecot', 'bob');
    const r = await runBackup(env.dovecot, 'bob', { kind: 'full' });
    assert.equal(r.exitCode, 0, JSON.stringify(r));
    const uid = (await doveadm(env, '-f', 'flow', 'search', '-u', 'bob', 'mailbox', 'INBOX', 'all')).trim().split('\n')[0]!.split(' ')[1]!;
    await doveadm(env, 'expunge', '-u', 'bob', 'mailbox', 'INBOX', 'uid', uid);
    const plan = await planRestore(env.dovecot, 'bob', { source: { kind: 'mirror' }, selection: { mailboxes: ['INBOX'] }, target: { mode: 'new-folder', folder: 'LossRestored' } });
    assert.equal(plan.toRestore.length, 1);
    const done = await applyRestore(env.dovecot, plan);
    assert.equal(done.restored.length, 1);
    const l = dovecotLayout(env.dovecot.config, 'bob');
    const modes = (await onHost(['stat', '-c', '%a %U %n', l.opsLog, l.dir, l.archives, l.logs, `${env.backupRoot}/dovecot`])).trim().split('\n');
    assert.deepEqual(modes, [`600 root ${l.opsLog}`, `711 root ${l.dir}`, `700 root ${l.archives}`, `700 root ${l.logs}`, `711 root ${env.backupRoot}/dovecot`]);
    const files = (await onHost(['sh', '-c', 'find "$1" -maxdepth 1 -type f -printf "%m %f\\n"', 'x', l.archives])).trim().split('\n');
    assert.ok(files.length > 0 && files.every((f) => f.startsWith('600 ')), files.join('\n'));
    await reseed('dovecot', 'bob');
  });
});
