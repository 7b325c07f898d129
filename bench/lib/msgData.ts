/**
 * The message data of rows 4 and 8, in one bench-only Dovecot instance ("msgs"):
 *   bmm100k  INBOX with 100,000 messages     (row 4)
 *   bmm10k   INBOX with 10,000 messages      (row 4, memory at 10x fewer)
 *   bmbak    10 folders x 1,000 messages     (row 8, mirror backup)
 * Files are written straight into the maildirs, then Dovecot indexes them on a first fetch (both timed).
 */
import path from 'node:path';
import { startInstance, type BenchDovecot } from './dovecotBench';
import { sshArgs } from './env';
import { chownR, manifest, saveManifest, writeMessages, type Generated } from './gen';
import { timedOk } from './proc';
import type { RowContext } from './row';
import { fmtMs, nowMs } from './stats';
import { FETCH_FIELDS } from '../../src/core/dovecot/messages';

export const MSG_USERS = { big: 'bmm100k', small: 'bmm10k', backup: 'bmbak' } as const;
export const BIG = 100_000;
export const SMALL = 10_000;
export const BAK_FOLDERS = 10;
export const BAK_PER = 1_000;

export function fetchLine(inst: BenchDovecot, user: string, mailbox: string): string {
  return `doveadm -c ${inst.conf} -f json fetch -u ${user} '${FETCH_FIELDS.join(' ')}' mailbox ${mailbox}`;
}

export async function prepareMessages(ctx: RowContext): Promise<{ inst: BenchDovecot; gen: Generated }> {
  const { sb, log } = ctx;
  const inst = await startInstance('msgs', Object.values(MSG_USERS), sb.dovecot.mailUid, sb.dovecot.mailGid);
  let gen = manifest(inst.dir, 'messages');
  if (!gen) {
    log('writing 120,000 maildir files (100,000 + 10,000 + 10 x 1,000)…');
    const t0 = nowMs();
    writeMessages(path.join(inst.homeOf(MSG_USERS.big), 'Maildir'), MSG_USERS.big, BIG);
    const bigWriteMs = nowMs() - t0;
    writeMessages(path.join(inst.homeOf(MSG_USERS.small), 'Maildir'), MSG_USERS.small, SMALL);
    const bak = path.join(inst.homeOf(MSG_USERS.backup), 'Maildir');
    writeMessages(bak, MSG_USERS.backup, BAK_PER);
    for (let f = 1; f < BAK_FOLDERS; f++) writeMessages(path.join(bak, `Folder${f}`), MSG_USERS.backup, BAK_PER, f * BAK_PER);
    await chownR(path.join(inst.dir, 'home'), sb.dovecot.mailUid, sb.dovecot.mailGid);
    const writeMs = nowMs() - t0;
    // First fetch: Dovecot assigns UIDs (dovecot-uidlist), builds the index and fills the cache.
    const t1 = nowMs();
    const first = await timedOk('ssh', sshArgs(sb, fetchLine(inst, MSG_USERS.big, 'INBOX')), { stdoutToNull: true });
    await timedOk('ssh', sshArgs(sb, fetchLine(inst, MSG_USERS.small, 'INBOX')), { stdoutToNull: true });
    await timedOk('ssh', sshArgs(sb, `doveadm -c ${inst.conf} -f json fetch -u ${MSG_USERS.backup} 'uid guid' all`), { stdoutToNull: true });
    gen = saveManifest(inst.dir, 'messages', { writeMs, bigWriteMs, indexMs: nowMs() - t1, bigIndexMs: first.ms });
  }
  log(`messages: 100,000 files written in ${fmtMs(gen.bigWriteMs as number)}, indexed by the first fetch in ${fmtMs(gen.bigIndexMs as number)} (all 120,000: ${fmtMs(gen.writeMs)} + ${fmtMs(gen.indexMs ?? NaN)})${gen.reused ? ` (reused, generated ${gen.at})` : ''}`);
  return { inst, gen };
}
