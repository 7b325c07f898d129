/**
 * What doveadm / dsync stderr lines mean for an operator: a pure classifier, tested on real texts
 * (test/fixtures/dovecot: the operator's mailing-list post and outputs captured from Dovecot 2.3.19;
 * test/fixtures/dovecot24: Dovecot 2.4.1).
 */
import type { ToolLineClass } from '../backup/runlog';
import { explainDoveadmExit } from './doveadm';

export type DsyncWarningKind =
  | 'incremental-sync-fallback'
  | 'desync-remote-lost-mailbox'
  | 'desync-incremental-failed'
  | 'desync'
  | 'invalid-state'
  | 'lock-failed'
  | 'timeout'
  | 'uidvalidity-changed'
  | 'permission-denied'
  | 'error'
  | 'warning';

export interface DsyncWarning extends ToolLineClass {
  kind: DsyncWarningKind;
  /** The process and user of the line prefix, e.g. dsync / bob. */
  source: string | null;
  user: string | null;
  level: string | null;
  message: string;
}

/** `dsync(bob): Warning: …`, `doveadm(bob): Error: …`, `dsync(bob)<session>: …`, `Error: …`. */
const PREFIX = /^(?:(dsync|doveadm|dsync-local|dsync-remote)(?:\((.*?)\))?(?:<[^>]*>)?: )?(Warning|Error|Panic|Fatal|Info|Debug): (.*)$/;

function mk(kind: DsyncWarningKind, severity: ToolLineClass['severity'], meaning: string, action: string, fields: Record<string, string>, p: { source: string | null; user: string | null; level: string | null; message: string }): DsyncWarning {
  return { kind, severity, meaning, action, fields, ...p };
}

/** Classify one stderr line of doveadm/dsync; null when it is not a log line of theirs. */
export function classifyDsyncLine(line: string): DsyncWarning | null {
  const m = PREFIX.exec(line.trim());
  if (!m) return null;
  const p = { source: m[1] ?? null, user: m[2] ?? null, level: m[3] ?? null, message: m[4] ?? '' };
  // 2.4 names the dsync side first ("brain S: Mailbox INBOX sync: …"); the message is the same as 2.3's.
  const msg = p.message.replace(/^brain [A-Z]: /, '');
  let r: RegExpExecArray | null;

  if ((r = /^Failed to do incremental sync for mailbox (.*), retry with a full sync \((?:Modseq (\d+) no longer in transaction log \(highest=(\d+), last_common_uid=(\d+), nextuid=(\d+)\)|(.*))\)$/.exec(msg))) {
    const fields: Record<string, string> = { mailbox: r[1]! };
    if (r[2]) Object.assign(fields, { modseq: r[2], highest: r[3]!, lastCommonUid: r[4]!, nextUid: r[5]! });
    else if (r[6]) fields.reason = r[6];
    return mk('incremental-sync-fallback', 'warning',
      `the index transaction log of mailbox ${fields.mailbox} no longer reaches back to the saved state${fields.modseq ? ` (modseq ${fields.modseq}; the log starts later, highest is ${fields.highest})` : ''}; dsync falls back to a FULL sync of that mailbox. Slower, not a loss of mail.`,
      'nothing to fix; if it happens on every run, back up more often or keep index logs longer (mail_index_log_rotate_min_age, mail_index_log2_max_age). With Dovecot 2.3.19 this ends the run with exit 75: Mailops then retries once with an empty state (a full comparison).',
      fields, p);
  }
  if ((r = /^Mailbox changes caused a desync\. You may want to run dsync again: (.*)$/.exec(msg))) {
    const reason = r[1]!;
    let g: RegExpExecArray | null;
    if ((g = /^Remote lost mailbox GUID ([0-9a-f]{32}) \(maybe it was just deleted\?\)$/.exec(reason))) {
      return mk('desync-remote-lost-mailbox', 'warning',
        `mailbox ${g[1]} disappeared from one side during the run (it was probably deleted or renamed meanwhile); dsync finished but is not fully in sync (exit 2).`,
        'run the backup again (Mailops retries automatically, up to the retry limit); a repeated warning for the same GUID means the mailbox keeps changing.',
        { reason, guid: g[1]! }, p);
    }
    if ((g = /^Incremental sync failed: (.*)$/.exec(reason))) {
      return mk('desync-incremental-failed', 'warning',
        `the incremental sync failed (${g[1]}); the run is not in sync.`,
        'run again; Mailops retries with an empty state (a full comparison of both sides), which converges.',
        { reason, detail: g[1]! }, p);
    }
    return mk('desync', 'warning', `changes during the run left the two sides not fully in sync (${reason}).`, 'run the backup again; it normally converges on the next run.', { reason }, p);
  }
  if ((r = /^Saved sync state is invalid, falling back to full sync(?:: (.*))?$/.exec(msg))) {
    return mk('invalid-state', 'warning',
      `the saved dsync state could not be read (${r[1] ?? 'no detail'}); dsync does a full sync instead. Slower, not a loss.`,
      'if the state file was edited or truncated, the next successful run replaces it; if the source UIDVALIDITY changed, make a fresh mirror (mailops backup --fresh).',
      r[1] ? { reason: r[1] } : {}, p);
  }
  if ((r = /^Couldn't lock (.*?): (.*)$/.exec(msg))) {
    const held = /held by pid (\d+)/.exec(r[2]!);
    return mk('lock-failed', 'error',
      `another dsync/doveadm process holds ${r[1]}${held ? ` (pid ${held[1]})` : ''}; nothing was synced (exit 75).`,
      'wait for the other run to end (Mailops serialises its own runs with its lock file) and run again.',
      { path: r[1]!, detail: r[2]!, ...(held ? { pid: held[1]! } : {}) }, p);
  }
  if ((r = /^Timeout during state=(\S+?)(?:[ ,(]|$)(.*)$/.exec(msg))) {
    return mk('timeout', 'error',
      `the dsync peer stopped answering during state ${r[1]}; the run was aborted.`,
      'check the other side (load, network, a hung doveadm) and run again; the saved state was kept.',
      { state: r[1]!, detail: r[2]!.trim() }, p);
  }
  if ((r = /^Mailbox (.*) sync: mailbox_delete failed: (.*) can't be deleted\.?$/.exec(msg)) || /UIDVALIDITY changed|uidvalidity changed/i.test(msg)) {
    return mk('uidvalidity-changed', 'error',
      `the mailbox ${r?.[1] ?? ''} changed UIDVALIDITY on the source since the saved state: the stateful backup cannot apply it (exit 65; dsync wanted to recreate the mailbox and INBOX cannot be deleted).`.replace('mailbox  changed', 'mailbox changed'),
      'make a fresh full mirror into a new folder: mailops backup ACCOUNT --fresh (the old mirror is kept).',
      r ? { mailbox: r[1]! } : {}, p);
  }
  if ((r = /^(.*?)\((.*?)\) failed: Permission denied(.*)$/.exec(msg)) || / failed: Permission denied/.test(msg)) {
    const path = r?.[2] ?? '';
    const owner = /dir owned by (\S+) mode=(\d+)/.exec(msg);
    const noX = /missing \+x perm: (.*?), dir owned by/.exec(msg)?.[1];
    return mk('permission-denied', 'error',
      `doveadm cannot write the destination${path ? ` (${path})` : ''}${noX ? `: the mail user cannot enter ${noX}` : ''}${owner ? `${noX ? ',' : ':'} directory owned by ${owner[1]} mode ${owner[2]}` : ''} (exit 75).`,
      'give the mail user write access to the backup destination (Mailops creates it owned by the account\'s uid/gid); the saved state was kept.',
      { ...(path ? { path } : {}), ...(noX ? { missingSearchPermission: noX } : {}), ...(owner ? { owner: owner[1]!, mode: owner[2]! } : {}) }, p);
  }
  if (p.level === 'Warning') return mk('warning', 'warning', msg, 'read the message; run again if it mentions a desync', {}, p);
  if (p.level === 'Info' || p.level === 'Debug') return mk('warning', 'info', msg, '', {}, p);
  return mk('error', 'error', msg, 'read the message; the saved state was kept', {}, p);
}

export type BackupOutcome = 'in-sync' | 'not-in-sync' | 'incremental-failed' | 'uidvalidity-changed' | 'locked' | 'not-writable' | 'failed';

/** What a doveadm backup exit code means together with the lines it printed. */
export function explainBackupExit(code: number | null, warnings: readonly DsyncWarning[]): { outcome: BackupOutcome; meaning: string; action: string } {
  const has = (k: DsyncWarningKind) => warnings.some((w) => w.kind === k);
  const e = explainDoveadmExit(code);
  if (code === 0) return { outcome: 'in-sync', meaning: 'the mirror is in sync with the account', action: '' };
  if (code === 2) return { outcome: 'not-in-sync', meaning: e.meaning, action: e.hint };
  if (code === 65 && has('uidvalidity-changed')) {
    return { outcome: 'uidvalidity-changed', meaning: 'a source mailbox changed UIDVALIDITY since the saved state: the stateful backup cannot continue', action: 'mailops backup ACCOUNT --fresh: a fresh full mirror into a new folder (the old one is kept)' };
  }
  if (code === 75 && (has('desync-incremental-failed') || has('incremental-sync-fallback'))) {
    return { outcome: 'incremental-failed', meaning: 'the incremental sync failed because the index log rotated past the saved state (Dovecot 2.3.19 exits 75 here)', action: 'run again with an empty state (Mailops does this once automatically)' };
  }
  if (code === 75 && has('lock-failed')) return { outcome: 'locked', meaning: 'another dsync holds the account sync lock', action: 'run again later' };
  if (code === 75 && has('permission-denied')) return { outcome: 'not-writable', meaning: 'the backup destination is not writable by the mail user', action: 'fix the ownership/permissions of the mirror folder, then run again' };
  return { outcome: 'failed', meaning: e.meaning, action: e.hint };
}
