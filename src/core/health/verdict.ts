/**
 * Verdicts: what an account's backup facts (records.ts) mean under the host's policy, and the one table that
 * turns verdicts into the monitoring plugins' exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Pure.
 *
 *   ok          every kind the account has is recent, nothing failed, nothing found missing
 *   stale       a kind's newest backup is older than the policy's maxAge for it
 *   unverified  the newest archive failed its own check (verified=no), or (with policy.verifyMaxAge) no
 *               verify within that time
 *   failing     the newest run of a kind failed (and nothing newer of that kind succeeded since), a run never
 *               ended, or the backup folder is not writable
 *   never       no backup at all (Cyrus: the owner is not in the newest archive's mailboxes.db dump)
 *   missing     the last verify found mail older than the backup missing from it
 *   unreachable the host did not answer; unknown: it answered something Mailops could not read
 *
 * Times are compared with the HOST's clock (the script's header), so a skewed client clock changes nothing.
 */
import type { AccountRecord, BackupFacts, RunKind } from './records';

export const VERDICTS = ['ok', 'stale', 'unverified', 'failing', 'never', 'missing', 'unreachable', 'unknown'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The one table: verdict → monitoring state (exit code), and which verdict wins when several apply. */
export const VERDICT_TABLE: Record<Verdict, { exit: 0 | 1 | 2 | 3; state: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'; rank: number }> = {
  ok: { exit: 0, state: 'OK', rank: 0 },
  unverified: { exit: 1, state: 'WARNING', rank: 1 },
  stale: { exit: 1, state: 'WARNING', rank: 2 },
  unknown: { exit: 3, state: 'UNKNOWN', rank: 3 },
  unreachable: { exit: 3, state: 'UNKNOWN', rank: 4 },
  never: { exit: 2, state: 'CRITICAL', rank: 5 },
  missing: { exit: 2, state: 'CRITICAL', rank: 6 },
  failing: { exit: 2, state: 'CRITICAL', rank: 7 },
};

/** Which exit code wins across verdicts: CRITICAL, then UNKNOWN, then WARNING, then OK (as Icinga orders states). */
const EXIT_PRECEDENCE = [2, 3, 1, 0] as const;

export function exitCodeOf(verdicts: Iterable<Verdict>): 0 | 1 | 2 | 3 {
  const seen = new Set<number>();
  for (const v of verdicts) seen.add(VERDICT_TABLE[v].exit);
  for (const e of EXIT_PRECEDENCE) if (seen.has(e)) return e;
  return 0;
}

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'ok';
  for (const v of verdicts) if (VERDICT_TABLE[v].rank > VERDICT_TABLE[worst].rank) worst = v;
  return worst;
}

export type AgeKind = 'mirror' | 'full' | 'incr';

export interface HealthPolicy {
  /** Seconds after which a kind's newest backup is stale. */
  maxAge: Record<AgeKind, number>;
  /** When set: an account without a verify in this many seconds is unverified. */
  verifyMaxAge: number | null;
}

export const DEFAULT_POLICY: HealthPolicy = { maxAge: { mirror: 2 * 3600, full: 26 * 3600, incr: 26 * 3600 }, verifyMaxAge: null };

/** A problem of one account (or, with account `*`, of a Cyrus host's backup that covers every owner; `-`: the host). */
export interface Problem {
  host: string;
  account: string;
  /** mirror, full, incr, diff (a kind of backup), folder, verify, backup (no backup at all), host. */
  kind: string;
  verdict: Verdict;
  reason: string;
}

export type AccountProblem = Omit<Problem, 'host' | 'account'>;

function iso(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export function formatAge(seconds: number): string {
  if (seconds < 0) return 'in the future';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1).replace(/\.0$/, '')} h`;
  return `${(seconds / 86400).toFixed(1).replace(/\.0$/, '')} d`;
}

const AGE_KIND_OF_RUN: Record<RunKind, AgeKind> = { mirror: 'mirror', full: 'full', diff: 'incr', incr: 'incr' };

/** The problems of one backup folder's facts (what is shared by a Cyrus host's owners, or one Dovecot account). */
export function judgeFacts(f: BackupFacts, now: number, policy: HealthPolicy, where: string): AccountProblem[] {
  const out: AccountProblem[] = [];
  if (f.hasFolder && !f.writable) {
    out.push({ kind: 'folder', verdict: 'failing', reason: `the backup folder ${where} is not writable: a run cannot take its lock or write its log` });
  }
  const newest: Record<AgeKind, number | null> = { mirror: f.mirror, full: f.full, incr: f.incr };
  for (const run of Object.values(f.runs)) {
    if (!run || run.result === 'ok' || run.result === 'skip') continue;
    const age = AGE_KIND_OF_RUN[run.kind];
    const since = newest[age];
    if (since !== null && since > run.started) continue; // a newer run of that kind succeeded since
    if (run.result === 'fail') {
      out.push({ kind: run.kind, verdict: 'failing', reason: `the last ${run.kind} run (${iso(run.started)}) failed${run.exit !== null ? ` with exit code ${run.exit}` : ''}` });
    } else if (now - run.started > policy.maxAge[age]) {
      out.push({ kind: run.kind, verdict: 'failing', reason: `the last ${run.kind} run (${iso(run.started)}) never wrote its result line: it was killed or the host went down` });
    }
  }
  for (const kind of ['mirror', 'full', 'incr'] as const) {
    const t = newest[kind];
    if (t === null) continue;
    if (now - t > policy.maxAge[kind]) {
      out.push({ kind, verdict: 'stale', reason: `the newest ${kind === 'incr' ? 'incremental' : kind} backup is ${formatAge(now - t)} old (${iso(t)}; policy ${formatAge(policy.maxAge[kind])})` });
    }
  }
  if (f.lastArchive && f.lastArchive.verified === false) {
    out.push({ kind: 'verify', verdict: 'unverified', reason: `the newest archive ${f.lastArchive.id} failed its check (tar -tzf or the message count)` });
  }
  if (f.verify && (!f.verify.ok || f.verify.missingOlder > 0)) {
    out.push({ kind: 'verify', verdict: 'missing', reason: `the verify of ${f.verify.time} found ${f.verify.missingOlder} message(s) older than the backup missing from ${f.verify.set}` });
  }
  if (policy.verifyMaxAge !== null && (f.mirror !== null || f.full !== null || f.incr !== null)) {
    if (!f.verify) out.push({ kind: 'verify', verdict: 'unverified', reason: 'no verify recorded (policy verifyMaxAge)' });
    else if (now - Date.parse(f.verify.time) / 1000 > policy.verifyMaxAge) {
      out.push({ kind: 'verify', verdict: 'unverified', reason: `the last verify is ${formatAge(now - Date.parse(f.verify.time) / 1000)} old (policy ${formatAge(policy.verifyMaxAge)})` });
    }
  }
  return out;
}

/** Whether the facts show any successful backup at all. */
export function hasBackup(f: BackupFacts): boolean {
  return f.mirror !== null || f.full !== null || f.incr !== null;
}

/**
 * One account's verdict and problems. For Cyrus, `sharedJudged` says that the host-level problems were already
 * reported once (account `*`): the owner then only adds its own (not in the backup), but its verdict counts them.
 */
export function judgeAccount(r: AccountRecord, now: number, policy: HealthPolicy, where: string, shared?: AccountProblem[]): { verdict: Verdict; problems: AccountProblem[] } {
  const problems: AccountProblem[] = [];
  const counted: Verdict[] = [];
  if (shared) {
    counted.push(...shared.map((p) => p.verdict));
    if (!hasBackup(r)) counted.push('never');
    else if (r.inBackup === false) problems.push({ kind: 'backup', verdict: 'never', reason: "the owner's INBOX is not in the newest archive's mailboxes.db dump: created since, never backed up" });
  } else {
    if (!hasBackup(r)) {
      problems.push({ kind: 'backup', verdict: 'never', reason: r.hasFolder ? `no successful backup in ${where}` : 'no backup folder: never backed up' });
    }
    problems.push(...judgeFacts(r, now, policy, where));
  }
  counted.push(...problems.map((p) => p.verdict));
  return { verdict: worstVerdict(counted), problems };
}
