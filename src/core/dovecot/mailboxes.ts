/**
 * Mailboxes of an account (`doveadm -f json mailbox status … '*'`) and the few Dovecot settings the
 * engine depends on (dialect, storage, hierarchy separator, lazy_expunge mailbox), read with doveconf and
 * parsed by dialect.ts.
 */
import { CommandFailedError, MailopsError } from '../errors';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { DOVECONF_SETTINGS_ARGS, parseDoveconf, type DovecotDialect, type DovecotSettings } from './dialect';
import { streamDoveadmJson, type DoveadmCallOptions } from './jsonStream';
import { doveadmMailArgs } from './doveadm';
import type { MailboxStatus } from './types';

export const STATUS_FIELDS = ['messages', 'unseen', 'vsize', 'guid', 'uidvalidity', 'uidnext', 'highestmodseq'] as const;

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** One object of `mailbox status -f json` output into a MailboxStatus (pure). */
export function toMailboxStatus(account: string, o: Record<string, unknown>): MailboxStatus {
  return {
    account,
    name: str(o.mailbox),
    messages: num(o.messages),
    unseen: num(o.unseen),
    vsize: num(o.vsize),
    guid: str(o.guid),
    uidvalidity: num(o.uidvalidity),
    uidnext: num(o.uidnext),
    highestmodseq: num(o.highestmodseq),
  };
}

export interface MailboxQueryOptions extends Pick<DoveadmCallOptions, 'overrides' | 'signal'> {
  /** Mailbox name or pattern (default '*': all). */
  pattern?: string;
}

/** Status of every mailbox (or of those matching `pattern`), sorted by name with INBOX first. */
export async function listMailboxes(ctx: HostContext, account: string, opts: MailboxQueryOptions = {}): Promise<MailboxStatus[]> {
  const out: MailboxStatus[] = [];
  for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['mailbox', 'status'], account, [], [STATUS_FIELDS.join(' '), opts.pattern ?? '*'], ctx.config.name), {
    overrides: opts.overrides,
    signal: opts.signal,
    what: `listing the mailboxes of ${account} failed`,
    explain: (code) => (code === 68 ? { meaning: 'no such mailbox', hint: `mailops mailboxes ${JSON.stringify(account)} lists the mailboxes` } : undefined),
  })) {
    out.push(toMailboxStatus(account, o));
  }
  return sortMailboxes(out);
}

export function sortMailboxes<T extends { name: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Status of exactly one mailbox, or null when it does not exist (rc 68). The name is also a pattern for
 * doveadm (`*`, `%`), so the exact name is picked from what it returns.
 */
export async function mailboxStatus(ctx: HostContext, account: string, name: string, opts: Pick<DoveadmCallOptions, 'overrides' | 'signal'> = {}): Promise<MailboxStatus | null> {
  let found: MailboxStatus | null = null;
  for await (const o of streamDoveadmJson(ctx, doveadmMailArgs(['mailbox', 'status'], account, [], [STATUS_FIELDS.join(' '), name], ctx.config.name), {
    overrides: opts.overrides,
    signal: opts.signal,
    accept: [0, 68],
    what: `reading the status of mailbox ${JSON.stringify(name)} of ${account} failed`,
  })) {
    const s = toMailboxStatus(account, o);
    if (s.name === name) found = s;
  }
  return found;
}

export { parseDoveconf, type DovecotSettings };

/** The settings' dialect, or a MailopsError when the host's could not be told (nothing is guessed). */
export function requireDialect(ctx: HostContext, settings: DovecotSettings): DovecotDialect {
  if (settings.dialect) return settings.dialect;
  throw new MailopsError('cannot tell which Dovecot configuration dialect the host uses', {
    host: ctx.config.name,
    meaning: settings.dialectEvidence,
    hint: `run doveconf -n on the host (its first line names the version); set the host's dovecot.config when Dovecot uses a non-default file`,
  });
}

/** The host's Dovecot settings (one doveconf; both dialects). Refuses a config whose dialect is unclear. */
export async function readDovecotSettings(ctx: HostContext, opts: { signal?: AbortSignal } = {}): Promise<DovecotSettings> {
  const argv = ['doveconf'];
  if (ctx.config.dovecot?.config) argv.push('-c', ctx.config.dovecot.config);
  argv.push(...DOVECONF_SETTINGS_ARGS);
  const full = withPrivilege(argv, ctx.config.privilege);
  const r = await ctx.transport.run(full, { signal: opts.signal, timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new CommandFailedError('reading the Dovecot configuration failed', {
      host: ctx.config.name,
      command: shellLine(full),
      exitCode: r.code,
      signal: r.signal,
      meaning: r.code === 127 ? 'doveconf was not found on the host' : 'doveconf could not read the configuration',
      hint: 'run doveconf -n on the host and fix the error it shows; set the host\'s dovecot.config when Dovecot uses a non-default file',
      stderr: r.stderr,
    });
  }
  const settings = parseDoveconf(r.stdout);
  requireDialect(ctx, settings);
  return settings;
}
