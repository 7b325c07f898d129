/**
 * Issue 11.9, on the real sandbox host (d12 and d13): an unmounted mail volume must not cost the last good
 * backup. The volume is "stopped" by bind-mounting an empty folder over the account's home (Dovecot) or over
 * the partition (Cyrus) INSIDE the host, for two runs, then unmounted.
 *
 * Before the fix: Dovecot made a new empty INBOX, `doveadm backup` emptied the mirror, the two fulls of it
 * held 0 message files against a source of 0 ("verified"), and retention (keep 1) deleted the last real
 * chain; the runs exited 0. Cyrus archived an empty partition the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotLayout, cyrusLayout } from '../../../src/core/backup/layout';
import { runBackup, type BackupResult } from '../../../src/core/dovecot/backup';
import { cyrusBackup } from '../../../src/core/cyrus/backup';
import { readCatalogue } from '../../../src/core/dovecot/catalogue';
import { dovecotAccount, sandboxHostId } from '../../support/sandbox';
import { archiveFiles, mountEmptyOver, reseed, setupLoss, sha256OnHost, type LossEnv } from './helpers';

let env: LossEnv;
const unmounts: Array<() => Promise<void>> = [];

before(async () => {
  env = await setupLoss('anchor');
});
after(async () => {
  for (const u of unmounts.splice(0)) await u().catch(() => undefined);
  await env?.cleanup();
});

function lines(): { lines: string[]; onLine: (l: string) => void } {
  const lines: string[] = [];
  return { lines, onLine: (l) => lines.push(l) };
}

/** The chain ids (full + points) in the archives folder, from the .meta files. */
function ids(files: string[]): string[] {
  return files.filter((f) => /^\d{8}T\d{6}Z-(full|diff|incr)\.meta$/.test(f)).map((f) => f.slice(0, -5));
}

describe(`11.9 an unmounted mail volume never costs the last good chain (${sandboxHostId()})`, () => {
  test('11.9 Dovecot: two runs with the home unmounted are refused (exit 1, why), the mirror and the last chain stay; forced live fulls of nothing are kept but no anchors', async () => {
    await reseed('dovecot', 'bob');
    const bob = dovecotAccount(env.info, 'bob');
    const layout = dovecotLayout(env.dovecot.config, 'bob');
    const good = await runBackup(env.dovecot, 'bob', { kind: 'full', keep: 1 });
    assert.equal(good.exitCode, 0, JSON.stringify(good));
    assert.equal(good.archive?.anchor, true);
    assert.equal(good.archive?.verified, true);
    const goodFiles = await archiveFiles(layout.archives);
    const stateBefore = await sha256OnHost(layout.state);
    const mirrorCount = (await readCatalogue(env.dovecot, 'bob')).mirror!.mailboxes.reduce((a, m) => a + m.messageCount, 0);
    assert.equal(mirrorCount, bob.total, 'the mirror holds the account');

    const unmount = await mountEmptyOver(bob.home, env.info.dovecot.mailUid, env.info.dovecot.mailGid);
    unmounts.push(unmount);
    const runs: BackupResult[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const l = lines();
        const r = await runBackup(env.dovecot, 'bob', { kind: 'full', keep: 1 }, { onLine: l.onLine });
        runs.push(r);
        assert.equal(r.exitCode, 1, `run ${i + 1} must fail: ${JSON.stringify(r)}`);
        assert.equal(r.ok, false);
        assert.equal(r.failure?.reason, 'source-empty', JSON.stringify(r.failure));
        assert.match(r.failure?.meaning ?? '', /no messages but its mirror has \d+.*is the mail volume mounted/);
        assert.match(r.failure?.hint ?? '', /--force/);
        assert.ok(l.lines.some((x) => /^MAILOPS \S+ mirror fail reason=source-empty messages=0 mirror_messages=[1-9]/.test(x)), l.lines.join('\n'));
        assert.ok(l.lines.some((x) => /^MAILOPS \S+ run result ok=no exit=1 reason=source-empty /.test(x)));
        assert.equal(r.archive, null, 'no archive of the empty account');
      }
      assert.equal(await sha256OnHost(layout.state), stateBefore, 'the dsync state is unchanged');
      assert.deepEqual(await archiveFiles(layout.archives), goodFiles, 'the previous good chain is still there, nothing added');

      // Archiving the (empty) live maildir: the fulls are made and kept, but they hold 0 messages against
      // the last anchor's: no anchor, the run fails saying why, and keep 1 removes nothing.
      for (let i = 0; i < 2; i++) {
        const l = lines();
        const r = await runBackup(env.dovecot, 'bob', { kind: 'full', live: true, keep: 1 }, { onLine: l.onLine });
        assert.equal(r.exitCode, 1, JSON.stringify(r));
        assert.equal(r.archive?.level, 'full');
        assert.equal(r.archive?.verified, true, '0 = 0: the archive matches its (empty) source');
        assert.equal(r.archive?.anchor, false);
        assert.equal(r.archive?.anchorReason, 'empty');
        assert.equal(r.failure?.reason, 'empty');
        assert.match(r.failure?.meaning ?? '', /holds no messages, the last anchor \S+ held \d+: is the mail volume mounted/);
        assert.ok(l.lines.some((x) => / retention info kept=\S+-full reason=not%20a%20retention%20anchor%20%28empty%29/.test(x)), l.lines.join('\n'));
        assert.ok(l.lines.some((x) => / retention ok removed=0 anchors=1/.test(x)), l.lines.join('\n'));
      }
      const now = ids(await archiveFiles(layout.archives));
      for (const id of ids(goodFiles)) assert.ok(now.includes(id), `${id} is still there`);
    } finally {
      await unmount();
    }
    // Mounted again: a normal run is an anchor again (compared with the good one), and only now do the
    // older chains go (keep 1): the good one and the two empty ones behind it.
    const back = await runBackup(env.dovecot, 'bob', { kind: 'full', keep: 1 });
    assert.equal(back.exitCode, 0, JSON.stringify(back));
    assert.equal(back.archive?.anchor, true);
    assert.deepEqual(ids(await archiveFiles(layout.archives)), [back.archive!.id]);
    await reseed('dovecot', 'bob');
  });

  test('11.9 Cyrus: two fulls of an empty partition are kept but no anchors, the runs fail saying why, the last good chain stays', async () => {
    const layout = cyrusLayout(env.cyrus.config);
    const good = await cyrusBackup(env.cyrus, { kind: 'full', keep: 1 });
    assert.equal(good.exitCode, 0, JSON.stringify(good.failure ?? good.warnings));
    assert.equal(good.anchor, true);
    const goodIds = ids(await archiveFiles(layout.archives));
    assert.ok(goodIds.includes(good.archiveId!));

    const unmount = await mountEmptyOver(env.info.cyrus.spool, 0, 0);
    unmounts.push(unmount);
    try {
      for (let i = 0; i < 2; i++) {
        const l = lines();
        const r = await cyrusBackup(env.cyrus, { kind: 'full', keep: 1 }, { onLine: l.onLine });
        assert.equal(r.exitCode, 1, `run ${i + 1}: ${JSON.stringify({ failure: r.failure, warnings: r.warnings })}`);
        assert.equal(r.ok, false);
        assert.equal(r.verified, true);
        assert.equal(r.anchor, false);
        assert.equal(r.anchorReason, 'empty');
        assert.equal(r.failure?.reason, 'empty');
        assert.match(r.failure?.meaning ?? '', /holds no messages, the last anchor \S+ held \d+: is the mail volume mounted/);
        assert.ok(l.lines.some((x) => /^MAILOPS \S+ anchor fail id=\S+ messages=0 previous=\S+ previous_messages=[1-9]/.test(x)), l.lines.join('\n'));
        assert.deepEqual(r.retention.removed, []);
      }
      const now = ids(await archiveFiles(layout.archives));
      for (const id of goodIds) assert.ok(now.includes(id), `${id} is still there`);
    } finally {
      await unmount();
    }
    const back = await cyrusBackup(env.cyrus, { kind: 'full', keep: 1 });
    assert.equal(back.exitCode, 0, JSON.stringify(back.failure ?? back.warnings));
    assert.equal(back.anchor, true);
    assert.deepEqual(ids(await archiveFiles(layout.archives)), [back.archiveId!]);
  });
});
