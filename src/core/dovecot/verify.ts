/**
 * Verification: compare the live account with a backup set, mailbox by mailbox, by message GUID.
 *
 * Per mailbox, the backup side is read first into a set of GUIDs (GUID → uid); the live side is then
 * streamed and each live GUID struck off that set. What the backup lacks is "missing"; what is left in
 * the set is "extra" (deleted live after the backup). Only the differences are kept across mailboxes,
 * to recognise messages moved to another folder after the backup ("moved": neither missing nor extra).
 *
 * Missing mail that reached the mailbox (received or saved) before the backup run is a failure; mail
 * that arrived after it is reported but expected. "Arrived" is the later of the received date and the
 * save date, so mail restored or appended after the backup with an old received date is not a failure.
 * Caveat (measured): with maildir the save date is the file's ctime, which a hard link (dsync into a
 * mirror on the same file system, lazy_expunge) or an unlink of another link moves forward.
 * lazy_expunge's mailbox is left out on both sides (dsync's own expunges fill the mirror's copy of it).
 */
import type { HostContext } from '../hosts/context';
import { streamDoveadmJson } from './jsonStream';
import { doveadmMailArgs } from './doveadm';
import { listMailboxes, readDovecotSettings } from './mailboxes';
import { decodeHeader, unixToIso } from './messages';
import { openSet, type OpenSetOptions } from './sets';
import type { BackupSetRef, VerifyMailbox, VerifyReport, VerifySample } from './types';
import { checkAccountName } from '../names';
import { recordVerify } from './verifyRecord';

const SAMPLES = 5;

export interface VerifyOptions extends Pick<OpenSetOptions, 'extractChainPoint'> {
  /** Default: the mirror. */
  set?: BackupSetRef;
  signal?: AbortSignal;
  /**
   * Seconds before the backup time that still count as "arrived during the run" (default 120): the
   * mirror's time is when its state was written, at the end of the run.
   */
  graceSeconds?: number;
  /** Override the backup time (ISO 8601), e.g. from the backup side's run records. */
  backupTime?: string;
  /** Record the result on the host (verify.last, read by `health`); default true. */
  record?: boolean;
}

interface MissingEntry {
  guid: string;
  mailbox: string;
  older: boolean;
}

export async function verifyAccount(ctx: HostContext, account: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  checkAccountName('dovecot', account, { host: ctx.config.name });
  const ref = opts.set ?? { kind: 'mirror' };
  const settings = await readDovecotSettings(ctx, { signal: opts.signal });
  const lazy = settings.lazyExpungeMailbox;
  const set = await openSet(ctx, account, ref, { settings, signal: opts.signal, extractChainPoint: opts.extractChainPoint });
  try {
    const backupTime = opts.backupTime ?? set.madeAt;
    const cutoff = backupTime ? Date.parse(backupTime) / 1000 - (opts.graceSeconds ?? 120) : null;
    const live = await listMailboxes(ctx, account, { signal: opts.signal });
    const backup = await listMailboxes(ctx, account, { overrides: set.overrides, signal: opts.signal });
    const skipped: VerifyReport['skipped'] = [];
    const names = new Set<string>();
    for (const b of [...live, ...backup]) {
      if (lazy && b.name === lazy) continue;
      names.add(b.name);
    }
    if (lazy && (live.some((b) => b.name === lazy) || backup.some((b) => b.name === lazy))) skipped.push({ mailbox: lazy, reason: 'lazy_expunge mailbox: holds expunged mail on both sides by design' });
    const liveBy = new Map(live.map((b) => [b.name, b]));
    const backupBy = new Map(backup.map((b) => [b.name, b]));
    const missingAll: MissingEntry[] = [];
    const extraAll: Array<{ guid: string; mailbox: string }> = [];
    const rows: VerifyMailbox[] = [];
    for (const name of [...names].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0))) {
      const lb = liveBy.get(name);
      const bb = backupBy.get(name);
      const row: VerifyMailbox = { mailbox: name, live: 0, backup: 0, missing: 0, missingOlder: 0, missingNewer: 0, extra: 0, moved: 0, missingSamples: [], extraSamples: [] };
      if (!lb) row.onlyBackup = true;
      if (!bb) row.onlyLive = true;
      // Backup side: GUID → uid.
      const inBackup = new Map<string, number>();
      if (bb && bb.messages > 0) {
        for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['fetch'], account, [], ['uid guid', 'mailbox-guid', bb.guid], ctx.config.name), { overrides: set.overrides, signal: opts.signal, what: `reading ${name} in ${set.label} failed` })) {
          inBackup.set(String(o.guid ?? ''), Number(o.uid));
        }
      }
      row.backup = inBackup.size;
      // Live side, streamed.
      if (lb && lb.messages > 0) {
        for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['fetch'], account, [], ['uid guid date.received.unixtime date.saved.unixtime hdr.subject', 'mailbox-guid', lb.guid], ctx.config.name), { signal: opts.signal, what: `reading ${name} of ${account} failed` })) {
          row.live++;
          const guid = String(o.guid ?? '');
          if (inBackup.delete(guid)) continue;
          const received = Number(o['date.received.unixtime']) || 0;
          const saved = Number(o['date.saved.unixtime']) || 0;
          const arrived = Math.max(received, saved);
          const older = cutoff === null || arrived < cutoff;
          row.missing++;
          if (older) row.missingOlder++;
          else row.missingNewer++;
          missingAll.push({ guid, mailbox: name, older });
          if (row.missingSamples.length < SAMPLES) row.missingSamples.push({ guid, uid: Number(o.uid), subject: decodeHeader(String(o['hdr.subject'] ?? '')), received: unixToIso(o['date.received.unixtime']) });
        }
      }
      row.extra = inBackup.size;
      for (const guid of inBackup.keys()) extraAll.push({ guid, mailbox: name });
      if (inBackup.size && bb) row.extraSamples = await samples(ctx, account, bb.guid, [...inBackup.values()].slice(0, SAMPLES), set.overrides, opts.signal);
      rows.push(row);
    }
    // Moved after the backup: missing here, extra there, same GUID.
    const extraGuids = new Map<string, string>();
    for (const e of extraAll) extraGuids.set(e.guid, e.mailbox);
    const byName = new Map(rows.map((r) => [r.mailbox, r]));
    for (const m of missingAll) {
      const other = extraGuids.get(m.guid);
      if (other === undefined) continue;
      extraGuids.delete(m.guid);
      const r = byName.get(m.mailbox)!;
      r.missing--;
      if (m.older) r.missingOlder--;
      else r.missingNewer--;
      r.moved++;
      r.missingSamples = r.missingSamples.filter((s) => s.guid !== m.guid);
      const o = byName.get(other)!;
      o.extra--;
      o.extraSamples = o.extraSamples.filter((s) => s.guid !== m.guid);
    }
    const totals = { live: 0, backup: 0, missing: 0, missingOlder: 0, missingNewer: 0, extra: 0, moved: 0 };
    for (const r of rows) for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k];
    const report: VerifyReport = {
      host: ctx.config.name,
      account,
      set: ref,
      setLabel: set.label,
      backupTime,
      checkedAt: new Date().toISOString(),
      mailboxes: rows,
      skipped,
      totals,
      ok: totals.missingOlder === 0,
    };
    // Recorded on the host so that `health` sees it; a record that cannot be written does not undo the verify.
    if (opts.record !== false) {
      try {
        report.record = { path: await recordVerify(ctx, report, opts.signal), error: null };
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        report.record = { path: null, error: (e as Error).message };
      }
    }
    return report;
  } finally {
    await set.close();
  }
}

async function samples(ctx: HostContext, account: string, mailboxGuid: string, uids: number[], overrides: Record<string, string>, signal?: AbortSignal): Promise<VerifySample[]> {
  const out: VerifySample[] = [];
  for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['fetch'], account, [], ['uid guid date.received.unixtime hdr.subject', 'mailbox-guid', mailboxGuid, 'uid', uids.join(',')], ctx.config.name), { overrides, signal })) {
    out.push({ guid: String(o.guid ?? ''), uid: Number(o.uid), subject: decodeHeader(String(o['hdr.subject'] ?? '')), received: unixToIso(o['date.received.unixtime']) });
  }
  return out;
}
