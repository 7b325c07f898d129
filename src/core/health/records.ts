/**
 * The health script's output (script.ts), read line by line as it arrives: each account line becomes one
 * AccountRecord handed on at once, so the client's memory does not grow with the number of accounts.
 * Anything that does not fit the format is an error naming the line, and the last line's count must equal the
 * number of account lines read: a cut-off stream is never taken for a host with fewer accounts.
 */
import { HEALTH_FORMAT, HEALTH_HEADER } from './script';

export type RunKind = 'mirror' | 'full' | 'diff' | 'incr';
export const RUN_KINDS: readonly RunKind[] = ['mirror', 'full', 'diff', 'incr'];

export interface RunSummary {
  kind: RunKind;
  /** When the run started (epoch seconds, from its log's name). */
  started: number;
  /** ok: result line ok=yes; fail: ok=no; skip: the lock was held; none: no result line (running, or killed). */
  result: 'ok' | 'fail' | 'skip' | 'none';
  exit: number | null;
  /** The result line's time (ISO 8601), null without one. */
  ended: string | null;
  /** warn step lines by step, plus `tool-warning` / `tool-error` for relayed tool lines. */
  warnings: Record<string, number>;
}

export interface VerifyRecord {
  time: string;
  set: string;
  missing: number;
  missingOlder: number;
  extra: number;
  ok: boolean;
}

/** What the host knows about one backup folder (Dovecot: the account's; Cyrus: the host's). */
export interface BackupFacts {
  /** The folder exists. */
  hasFolder: boolean;
  /** false when the folder is not writable (a run cannot take its lock or write its log). */
  writable: boolean;
  /** Last successful mirror run (epoch seconds): mirror.state's mtime. */
  mirror: number | null;
  /** Newest complete full / differential-or-incremental archive (epoch seconds, from its id). */
  full: number | null;
  incr: number | null;
  lastArchive: { id: string; verified: boolean | null } | null;
  runs: Partial<Record<RunKind, RunSummary>>;
  verify: VerifyRecord | null;
}

export interface AccountRecord extends BackupFacts {
  /** The account (Dovecot) or mailbox owner (Cyrus: `alice`, `alice@example.org`). */
  account: string;
  /** Cyrus: the owner's INBOX is in the newest archive's mailboxes.db dump; null for Dovecot. */
  inBackup: boolean | null;
}

export type HealthLine =
  | { type: 'header'; server: 'dovecot' | 'cyrus'; now: number }
  | { type: 'host'; facts: BackupFacts }
  | { type: 'account'; record: AccountRecord }
  | { type: 'end'; count: number; orphans: number };

export class HealthFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HealthFormatError';
  }
}

/** The host's account list could not be read: the answer would be wrong, so there is none. */
export class HealthStepError extends Error {
  constructor(
    readonly step: string,
    readonly exitCode: number | null,
    readonly stderr: string[],
  ) {
    super(`the health script's step "${step}" failed (exit code ${exitCode ?? '?'})`);
    this.name = 'HealthStepError';
  }
}

const STAMP_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `20261203T140000Z` → epoch seconds. */
export function stampToEpoch(stamp: string): number {
  const m = STAMP_RE.exec(stamp);
  if (!m) throw new HealthFormatError(`not a UTC stamp: ${JSON.stringify(stamp)}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

function int(v: string, what: string): number {
  if (!/^-?\d+$/.test(v)) throw new HealthFormatError(`${what}: not a whole number: ${JSON.stringify(v)}`);
  return Number(v);
}

/** Cyrus internal INBOX name → owner: `user.alice` → alice, `example.org!user.a^b` → a.b@example.org. */
export function cyrusOwner(internal: string): string {
  const bang = internal.indexOf('!');
  const domain = bang >= 0 ? internal.slice(0, bang) : null;
  const rest = bang >= 0 ? internal.slice(bang + 1) : internal;
  if (!rest.startsWith('user.')) throw new HealthFormatError(`not an owner's INBOX: ${JSON.stringify(internal)}`);
  const user = rest.slice(5).replace(/\^/g, '.');
  return domain ? `${user}@${domain}` : user;
}

/** The tokens of an H or A line. */
export function parseFacts(tokens: string): BackupFacts & { inBackup: boolean | null } {
  const f: BackupFacts & { inBackup: boolean | null } = { hasFolder: false, writable: true, mirror: null, full: null, incr: null, lastArchive: null, runs: {}, verify: null, inBackup: null };
  const verify: Record<string, string> = {};
  let sawDir = false;
  let lastVerified: boolean | null = null;
  const warnings: Partial<Record<RunKind, Record<string, number>>> = {};
  for (const tok of tokens.split(' ')) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    if (eq <= 0) throw new HealthFormatError(`not a key=value token: ${JSON.stringify(tok)}`);
    const k = tok.slice(0, eq);
    const v = tok.slice(eq + 1);
    if (k === 'dir') {
      f.hasFolder = v === '1';
      sawDir = true;
    } else if (k === 'w') f.writable = v !== '0';
    else if (k === 'in') f.inBackup = v === '1';
    else if (k === 'mirror') f.mirror = int(v, 'mirror');
    else if (k === 'full') f.full = stampToEpoch(v);
    else if (k === 'incr') f.incr = stampToEpoch(v);
    else if (k === 'last') f.lastArchive = { id: v, verified: null };
    else if (k === 'lastv') lastVerified = v === 'yes' ? true : v === 'no' ? false : null;
    else if (k.startsWith('run.')) {
      const kind = k.slice(4) as RunKind;
      if (!RUN_KINDS.includes(kind)) throw new HealthFormatError(`unknown run kind in ${JSON.stringify(tok)}`);
      const [stamp, result, exit, ended] = v.split(',');
      if (result !== 'ok' && result !== 'fail' && result !== 'skip' && result !== 'none') throw new HealthFormatError(`unknown run result in ${JSON.stringify(tok)}`);
      f.runs[kind] = { kind, started: stampToEpoch(stamp ?? ''), result, exit: exit === undefined || exit === '-' ? null : int(exit, tok), ended: ended === undefined || ended === '-' ? null : ended, warnings: {} };
    } else if (k.startsWith('warn.')) {
      const kind = k.slice(5) as RunKind;
      const w: Record<string, number> = {};
      for (const part of v.split('+')) {
        const c = part.lastIndexOf(':');
        if (c <= 0) throw new HealthFormatError(`bad warning count in ${JSON.stringify(tok)}`);
        w[part.slice(0, c)] = int(part.slice(c + 1), tok);
      }
      warnings[kind] = w;
    } else if (k.startsWith('v.')) verify[k.slice(2)] = v;
    // Unknown keys are left alone: a newer script may say more.
  }
  if (!sawDir) throw new HealthFormatError('the record has no dir= token');
  if (f.lastArchive) f.lastArchive.verified = lastVerified;
  for (const [kind, w] of Object.entries(warnings)) {
    const run = f.runs[kind as RunKind];
    if (!run) throw new HealthFormatError(`warnings for a ${kind} run that the record does not name`);
    run.warnings = w;
  }
  if (Object.keys(verify).length) {
    if (verify.time === undefined || !Number.isFinite(Date.parse(verify.time))) throw new HealthFormatError('the verify record has no readable time=');
    f.verify = {
      time: verify.time,
      set: verify.set ?? 'mirror',
      missing: int(verify.missing ?? '', 'verify missing'),
      missingOlder: int(verify.missing_older ?? '', 'verify missing_older'),
      extra: int(verify.extra ?? '0', 'verify extra'),
      ok: verify.ok === 'yes',
    };
  }
  return f;
}

/**
 * Line-by-line reader of one host's health output. push() returns what a line meant; finish() checks that the
 * stream ended with its END line and that the count matches.
 */
export class HealthStreamParser {
  private header: { server: 'dovecot' | 'cyrus'; now: number } | null = null;
  private hostFacts: BackupFacts | null = null;
  private accounts = 0;
  private ended: { count: number; orphans: number } | null = null;
  private failure: { step: string; exit: number | null; stderr: string[] } | null = null;
  private lineNo = 0;

  push(line: string): HealthLine | null {
    this.lineNo++;
    try {
      return this.parse(line);
    } catch (e) {
      if (e instanceof HealthFormatError) throw new HealthFormatError(`line ${this.lineNo}: ${e.message}: ${JSON.stringify(line.slice(0, 200))}`);
      throw e;
    }
  }

  private parse(line: string): HealthLine | null {
    if (this.failure) {
      if (line.startsWith('x\t')) this.failure.stderr.push(line.slice(2));
      return null;
    }
    if (!this.header) {
      const m = /^(\S+) (\d+) (dovecot|cyrus) (\d+)$/.exec(line);
      if (!m || m[1] !== HEALTH_HEADER) throw new HealthFormatError('the first line is not the health header');
      if (Number(m[2]) !== HEALTH_FORMAT) throw new HealthFormatError(`format ${m[2]} is not the one this Mailops reads (${HEALTH_FORMAT})`);
      this.header = { server: m[3] as 'dovecot' | 'cyrus', now: Number(m[4]) };
      return { type: 'header', ...this.header };
    }
    if (this.ended) throw new HealthFormatError('a line after the END line');
    const tab = line.indexOf('\t');
    const tag = tab < 0 ? line : line.slice(0, tab);
    const rest = tab < 0 ? '' : line.slice(tab + 1);
    switch (tag) {
      case 'X': {
        const [step, code] = rest.split('\t');
        this.failure = { step: step ?? '?', exit: code !== undefined && /^\d+$/.test(code) ? Number(code) : null, stderr: [] };
        return null;
      }
      case 'H': {
        if (this.header.server !== 'cyrus') throw new HealthFormatError('an H line from a Dovecot host');
        if (this.hostFacts || this.accounts) throw new HealthFormatError('a second or late H line');
        const { inBackup: _, ...facts } = parseFacts(rest);
        void _;
        this.hostFacts = facts;
        return { type: 'host', facts };
      }
      case 'A': {
        const t2 = rest.indexOf('\t');
        if (t2 < 0) throw new HealthFormatError('an account line without the account');
        const name = rest.slice(t2 + 1);
        if (name === '') throw new HealthFormatError('an account line with an empty account');
        const facts = parseFacts(rest.slice(0, t2));
        let record: AccountRecord;
        if (this.header.server === 'cyrus') {
          if (!this.hostFacts) throw new HealthFormatError('an owner line before the host line');
          if (facts.inBackup === null) throw new HealthFormatError('an owner line without in=');
          record = { ...this.hostFacts, account: cyrusOwner(name), inBackup: facts.inBackup };
        } else {
          record = { ...facts, account: name, inBackup: null };
        }
        this.accounts++;
        return { type: 'account', record };
      }
      case 'END': {
        const [count, orphans] = rest.split('\t');
        this.ended = { count: int(count ?? '', 'END count'), orphans: int(orphans ?? '0', 'END orphans') };
        return { type: 'end', ...this.ended };
      }
      default:
        throw new HealthFormatError(`unknown line tag ${JSON.stringify(tag)}`);
    }
  }

  /** After the last line: throws HealthStepError (a failed step) or HealthFormatError (missing/short END). */
  finish(): { server: 'dovecot' | 'cyrus'; now: number; accounts: number; orphans: number } {
    if (this.failure) throw new HealthStepError(this.failure.step, this.failure.exit, this.failure.stderr);
    if (!this.header) throw new HealthFormatError('no output: the health header never came');
    if (!this.ended) throw new HealthFormatError(`the output stopped after ${this.accounts} account lines without its END line`);
    if (this.ended.count !== this.accounts) throw new HealthFormatError(`the host printed ${this.ended.count} account lines, ${this.accounts} arrived`);
    if (this.header.server === 'cyrus' && !this.hostFacts) throw new HealthFormatError('a Cyrus host without its H line');
    return { ...this.header, accounts: this.accounts, orphans: this.ended.orphans };
  }
}
