/**
 * A stateful mirror of an account with lazy_expunge, on the real sandbox host (d12: Dovecot 2.3, d13: 2.4),
 * over several expunges: every run must succeed and the mirror must hold what the account holds, EXPUNGED
 * included.
 *
 * Found by the loss tests: `doveadm backup` ran with the server's lazy_expunge plugin on, so when dsync
 * removed an expunged message from the mirror's INBOX, lazy_expunge copied it into the MIRROR's EXPUNGED
 * under a new UID, beside the copy dsync brought from the account's EXPUNGED. From the second expunge on
 * the run failed: "Deleting mailbox 'EXPUNGED': UID=2 already exists locally for a different mail" (doveadm
 * exit 75). The mirror is a replica: nothing of the server's plugins may write into it on its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout } from '../../../src/core/backup/layout';
import { runBackup } from '../../../src/core/dovecot/backup';
import { dovecotAccount, sandboxHostId } from '../../support/sandbox';
import { doveadm, onHost, reseed, setupLoss, type LossEnv } from '../loss/helpers';

const ACCOUNT = 'carol';
let env: LossEnv;

before(async () => {
  env = await setupLoss('lazymirror');
});
after(async () => {
  await env?.cleanup();
  await reseed('dovecot', ACCOUNT).catch(() => undefined);
});

/** Message count of one mailbox, read by doveadm from a maildir location (live: no location). */
async function count(mailbox: string, location?: string): Promise<number> {
  const overrides = location ? (env.info.host.debian >= 13 ? ['-o', 'mail_driver=maildir', '-o', `mail_path=${location}`, '-o', 'mailbox_list_layout=fs', '-o', 'mail_index_path=MEMORY'] : ['-o', `mail_location=maildir:${location}:LAYOUT=fs:INDEX=MEMORY`]) : [];
  const out = await doveadm(env, ...overrides, '-f', 'flow', 'mailbox', 'status', '-u', ACCOUNT, 'messages', mailbox);
  const m = /messages=(\d+)/.exec(out);
  assert.ok(m, `doveadm mailbox status ${mailbox}${location ? ` of ${location}` : ''}: ${out}`);
  return Number(m[1]);
}

describe(`a stateful mirror of an account with lazy_expunge survives repeated expunges (${sandboxHostId()})`, () => {
  test('three expunges, a mirror run after each: every run exits 0 and the mirror holds INBOX and EXPUNGED as the account does', async () => {
    await reseed('dovecot', ACCOUNT);
    const seeded = dovecotAccount(env.info, ACCOUNT);
    const lazy = env.info.dovecot.lazyExpunge;
    assert.ok(lazy, `the sandbox's Dovecot on ${sandboxHostId()} has lazy_expunge`);
    const first = await runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' });
    assert.equal(first.exitCode, 0, JSON.stringify(first));
    for (let i = 1; i <= 3; i++) {
      const uid = /uid=(\d+)/.exec(await doveadm(env, '-f', 'flow', 'fetch', '-u', ACCOUNT, 'uid', 'mailbox', 'INBOX', 'all'))?.[1];
      assert.ok(uid, `INBOX of ${ACCOUNT} still has a message before expunge ${i}`);
      await doveadm(env, 'expunge', '-u', ACCOUNT, 'mailbox', 'INBOX', 'uid', uid);
      const r = await runBackup(env.dovecot, ACCOUNT, { kind: 'mirror' });
      assert.equal(r.exitCode, 0, `mirror run after expunge ${i}: ${JSON.stringify(r)}`);
    }
    const mirror = (await onHost(['readlink', '-f', dovecotLayout(env.dovecot.config, ACCOUNT).mirror])).trim();
    assert.equal(await count('INBOX'), seeded.mailboxes.INBOX! - 3, 'live INBOX lost 3');
    assert.equal(await count(lazy), 3, `live ${lazy} holds the 3 expunged`);
    assert.equal(await count('INBOX', mirror), seeded.mailboxes.INBOX! - 3, 'mirror INBOX as live');
    assert.equal(await count(lazy, mirror), 3, `mirror ${lazy} as live: no copy made by lazy_expunge inside the mirror`);
  });
});
