/**
 * `health`: the verdict of every account of one host (one remote script, one round trip, read as a stream),
 * and of many hosts (checked concurrently, with a bound). What stays in memory per host: the counts by verdict
 * and the problem list (capped: beyond `maxProblems` only counted). Every account is also handed to an optional
 * sink (the Prometheus writer) as it arrives, then dropped.
 */
import { MailopsError, TransportError } from '../errors';
import type { HostContext } from '../hosts/context';
import { withPrivilege, type HostConfig } from '../hosts/model';
import { probe } from '../probe';
import { shellLine } from '../transport/quote';
import { readLines } from '../util/lines';
import { cyrusBackupRoot, dovecotBackupRoot, encodeSegment } from '../backup/layout';
import { HealthFormatError, HealthStepError, HealthStreamParser, type AccountRecord, type BackupFacts } from './records';
import { buildHealthScript } from './script';
import { exitCodeOf, hasBackup, judgeAccount, judgeFacts, VERDICTS, worstVerdict, type AccountProblem, type HealthPolicy, type Problem, type Verdict } from './verdict';
import { policyOf } from './policy';

export const DEFAULT_MAX_PROBLEMS = 1000;
export const DEFAULT_HOST_CONCURRENCY = 4;
/** The script reads names and a few small files per account: minutes would mean a stuck host. */
export const DEFAULT_HOST_TIMEOUT_MS = 10 * 60_000;

export interface AccountHealth {
  host: string;
  server: 'dovecot' | 'cyrus';
  record: AccountRecord;
  verdict: Verdict;
}

export interface HostHealth {
  /** The host's name in the configuration. */
  host: string;
  server: 'dovecot' | 'cyrus' | null;
  /** The host answered and its output was read to the end. */
  up: boolean;
  /** The host's clock when the script ran (epoch seconds); null when it did not answer. */
  hostTime: number | null;
  accounts: number;
  counts: Record<Verdict, number>;
  /** Backup folders whose account no longer exists (Dovecot). Not a problem: backups of removed accounts. */
  orphanFolders: number;
  /** The host's worst verdict (unreachable / unknown when there is no answer). */
  verdict: Verdict;
  problems: Problem[];
  /** Problems beyond maxProblems: counted, not kept. */
  problemsLeftOut: number;
  /** Set when the host gave no (readable) answer. */
  error: { message: string; command?: string; exitCode?: number | null; hint?: string } | null;
}

export interface HealthOptions {
  signal?: AbortSignal;
  maxProblems?: number;
  timeoutMs?: number;
  /** Called for every account as it is judged (e.g. a metrics writer); not awaited. */
  onAccount?: (a: AccountHealth) => void;
}

function emptyCounts(): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
}

function newHost(host: string, server: HostHealth['server']): HostHealth {
  return { host, server, up: false, hostTime: null, accounts: 0, counts: emptyCounts(), orphanFolders: 0, verdict: 'ok', problems: [], problemsLeftOut: 0, error: null };
}

/** Which servers to check on a host: its configured kind, or (detect) what the probe finds. */
async function serversOf(ctx: HostContext, signal?: AbortSignal): Promise<Array<'dovecot' | 'cyrus'>> {
  if (ctx.config.server !== 'detect') return [ctx.config.server];
  const found = (await probe(ctx, signal)).detected;
  if (!found.length) {
    throw new MailopsError('neither Dovecot nor Cyrus was found on the host', { host: ctx.config.name, hint: 'run mailops probe; set "server" of the host in the hosts file' });
  }
  return found;
}

/** Check one server of one host; throws on a failure to get a complete answer (checkHost turns it into a verdict). */
export async function checkServer(ctx: HostContext, server: 'dovecot' | 'cyrus', opts: HealthOptions = {}): Promise<HostHealth> {
  const name = ctx.config.name;
  const policy = policyOf(ctx.config);
  const built = buildHealthScript(ctx.config, server);
  const argv = withPrivilege(built.argv, ctx.config.privilege);
  const display = shellLine(withPrivilege(['sh', '-c', '<health script>', built.name, ...built.args], ctx.config.privilege));
  const h = newHost(name, server);
  const maxProblems = opts.maxProblems ?? DEFAULT_MAX_PROBLEMS;
  const addProblem = (p: Problem) => {
    if (h.problems.length < maxProblems) h.problems.push(p);
    else h.problemsLeftOut++;
  };
  const proc = ctx.transport.spawn(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_HOST_TIMEOUT_MS });
  const parser = new HealthStreamParser();
  let stderr = '';
  const errDone = (async () => {
    for await (const line of readLines(proc.stderr)) if (stderr.length < 8192) stderr += `${line}\n`;
  })();
  let now = 0;
  let shared: AccountProblem[] | undefined;
  let formatError: HealthFormatError | null = null;
  const where = (account: string) => (server === 'cyrus' ? `${cyrusBackupRoot(ctx.config)}/cyrus` : `${dovecotBackupRoot(ctx.config)}/dovecot/${encodeSegment(account)}`);
  try {
    for await (const line of readLines(proc.stdout)) {
      if (formatError) continue; // drain, so the process can end
      let ev;
      try {
        ev = parser.push(line);
      } catch (e) {
        if (!(e instanceof HealthFormatError)) throw e;
        formatError = e;
        proc.cancel('unreadable health output');
        continue;
      }
      if (!ev) continue;
      if (ev.type === 'header') {
        now = ev.now;
        h.hostTime = ev.now;
      } else if (ev.type === 'host') {
        shared = hostProblems(ev.facts, now, policy, where(''));
        for (const p of shared) addProblem({ host: name, account: '*', ...p });
      } else if (ev.type === 'account') {
        const j = judgeAccount(ev.record, now, policy, where(ev.record.account), shared);
        h.accounts++;
        h.counts[j.verdict]++;
        for (const p of j.problems) addProblem({ host: name, account: ev.record.account, ...p });
        opts.onAccount?.({ host: name, server, record: ev.record, verdict: j.verdict });
      }
    }
  } finally {
    await errDone.catch(() => undefined);
  }
  // After an unreadable line the process was cancelled: its exit then rejects, and the format error is the news.
  const status = await proc.exit.catch((e: unknown) => {
    if (formatError) return { code: null, signal: null };
    throw e;
  });
  if (formatError) throw new MailopsError(`the health output could not be read: ${formatError.message}`, { host: name, command: display, hint: 'this is a Mailops bug or a host that changed its tools: report the command and the line' });
  let done;
  try {
    done = parser.finish();
  } catch (e) {
    if (e instanceof HealthStepError) {
      throw new MailopsError(e.step === 'users' ? (server === 'cyrus' ? 'listing the mailbox owners (ctl_mboxlist -d) failed' : "listing the accounts (doveadm user '*') failed") : `the health script's ${e.step} step failed`, {
        host: name,
        command: display,
        exitCode: e.exitCode,
        meaning: server === 'dovecot' && (e.exitCode === 75 || e.exitCode === 134) ? 'doveadm could not reach the auth service: is the Dovecot master running?' : 'without the list of accounts, "never backed up" cannot be told',
        stderr: e.stderr.join('\n'),
        hint: 'run the listing by hand on the host; mailops probe shows the servers found',
      });
    }
    if (e instanceof HealthFormatError) {
      throw new MailopsError(`the health output is incomplete: ${e.message}`, { host: name, command: display, exitCode: status.code, stderr, meaning: status.code === 0 ? 'the script ended without printing everything' : `the script ended with exit code ${status.code}`, hint: 'run it again; if it persists, report the command' });
    }
    throw e;
  }
  if (status.code !== 0) {
    throw new MailopsError('the health script failed after printing its answer', { host: name, command: display, exitCode: status.code, stderr, hint: 'report the command and its stderr' });
  }
  h.up = true;
  h.orphanFolders = done.orphans;
  const all: Verdict[] = VERDICTS.filter((v) => h.counts[v] > 0);
  h.verdict = worstVerdict([...all, ...(shared ?? []).map((p) => p.verdict)]);
  return h;
}

/** A Cyrus host's own problems (its backup covers every owner), reported once with account `*`. */
function hostProblems(f: BackupFacts, now: number, policy: HealthPolicy, where: string): AccountProblem[] {
  const out = judgeFacts(f, now, policy, where);
  if (!hasBackup(f)) out.unshift({ kind: 'backup', verdict: 'never', reason: f.hasFolder ? `no complete archive in ${where}` : `no Cyrus backup on this host (${where} does not exist)` });
  return out;
}

/** One host: every server on it; a host that does not answer is `unreachable`, an unreadable answer `unknown`. */
export async function checkHost(ctx: HostContext, opts: HealthOptions = {}): Promise<HostHealth[]> {
  try {
    const servers = await serversOf(ctx, opts.signal);
    const out: HostHealth[] = [];
    for (const s of servers) out.push(await checkServer(ctx, s, opts));
    return out;
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    const server = ctx.config.server === 'detect' ? null : ctx.config.server;
    const h = newHost(ctx.config.name, server);
    const unreachable = e instanceof TransportError && e.failure !== 'cancelled';
    h.verdict = unreachable ? 'unreachable' : 'unknown';
    const err = e instanceof MailopsError ? e : new MailopsError(String((e as Error)?.message ?? e), { host: ctx.config.name });
    h.error = { message: err.message, command: err.command, exitCode: err.exitCode, hint: err.hint };
    const first = err.message.split('\n')[0]!.replace(new RegExp(`^${escapeRe(ctx.config.name)}: `), '');
    h.problems.push({ host: ctx.config.name, account: '-', kind: 'host', verdict: h.verdict, reason: unreachable ? `the host did not answer: ${first}` : `no readable answer: ${first}` });
    return [h];
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface HealthReport {
  hosts: HostHealth[];
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (verdict.ts's table). */
  exitCode: 0 | 1 | 2 | 3;
  state: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  /** Accounts by verdict over every host that answered (a host that did not is in its HostHealth only). */
  counts: Record<Verdict, number>;
  checkedAt: string;
}

export function reportOf(hosts: HostHealth[], checkedAt = new Date()): HealthReport {
  const counts = emptyCounts();
  const verdicts: Verdict[] = [];
  for (const h of hosts) {
    for (const v of VERDICTS) counts[v] += h.counts[v];
    verdicts.push(h.verdict);
  }
  const exitCode = exitCodeOf(verdicts);
  const state = (['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const)[exitCode];
  return { hosts, exitCode, state, counts, checkedAt: checkedAt.toISOString() };
}

/** Many hosts, at most `concurrency` at a time; results in the order of `hosts`. */
export async function checkHosts(hosts: readonly HostConfig[], connect: (h: HostConfig) => HostContext, opts: HealthOptions & { concurrency?: number } = {}): Promise<HealthReport> {
  const results: HostHealth[][] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      results[i] = await checkHost(connect(hosts[i]!), opts);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_HOST_CONCURRENCY, hosts.length));
  await Promise.all(Array.from({ length: n }, worker));
  return reportOf(results.flat());
}
