/**
 * Mailboxes of an account (`doveadm -f json mailbox status … '*'`) and the few Dovecot settings the
 * engine depends on (hierarchy separator, lazy_expunge mailbox), read with doveconf.
 */
import { CommandFailedError } from '../errors';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { streamDoveadmJson, type DoveadmCallOptions } from './jsonStream';
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
  for await (const o of streamDoveadmJson(ctx, ['mailbox', 'status', '-u', account, STATUS_FIELDS.join(' '), opts.pattern ?? '*'], {
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
  for await (const o of streamDoveadmJson(ctx, ['mailbox', 'status', '-u', account, STATUS_FIELDS.join(' '), name], {
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

/** The Dovecot settings the engine depends on. */
export interface DovecotSettings {
  /** Hierarchy separator of the inbox namespace (explicit or the storage default). */
  separator: string;
  mailLocation: string | null;
  mailPlugins: string[];
  /** lazy_expunge's mailbox when the plugin is on, else null. */
  lazyExpungeMailbox: string | null;
}

/** Parse `doveconf namespace mail_location mail_plugins plugin` output (pure). */
export function parseDoveconf(text: string): DovecotSettings {
  let mailLocation: string | null = null;
  let mailPlugins: string[] = [];
  let lazy: string | null = null;
  const namespaces: Array<{ inbox: boolean; separator: string; prefix: string }> = [];
  const stack: string[] = [];
  let ns: { inbox: boolean; separator: string; prefix: string } | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const open = /^(\S+)(?:\s+(.*?))?\s*\{$/.exec(line);
    if (open) {
      stack.push(open[1]!);
      if (stack.length === 1 && open[1] === 'namespace') {
        ns = { inbox: false, separator: '', prefix: '' };
        namespaces.push(ns);
      }
      continue;
    }
    if (line === '}') {
      stack.pop();
      if (stack.length === 0) ns = null;
      continue;
    }
    const kv = /^([^=\s]+)\s*=\s?(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (stack.length === 0) {
      if (key === 'mail_location') mailLocation = value.trim() || null;
      if (key === 'mail_plugins') mailPlugins = value.split(/\s+/).filter((p) => p !== '' && p !== '$mail_plugins');
    } else if (stack.length === 1 && stack[0] === 'plugin' && key === 'lazy_expunge') lazy = value.trim() || null;
    else if (stack.length === 1 && ns) {
      if (key === 'inbox') ns.inbox = value.trim() === 'yes';
      if (key === 'separator') ns.separator = value.trim();
      if (key === 'prefix') ns.prefix = value.trim();
    }
  }
  const inboxNs = namespaces.find((n) => n.inbox) ?? namespaces.find((n) => n.prefix === '') ?? namespaces[0];
  let separator = inboxNs?.separator ?? '';
  if (separator === '') {
    // Storage defaults: Maildir++ uses '.', everything else (LAYOUT=fs, sdbox, mdbox, mbox) uses '/'.
    separator = mailLocation && /^maildir:/.test(mailLocation) && !/:LAYOUT=fs/i.test(mailLocation) ? '.' : '/';
  }
  return { separator, mailLocation, mailPlugins, lazyExpungeMailbox: mailPlugins.includes('lazy_expunge') ? lazy : null };
}

export async function readDovecotSettings(ctx: HostContext, opts: { signal?: AbortSignal } = {}): Promise<DovecotSettings> {
  const argv = ['doveconf'];
  if (ctx.config.dovecot?.config) argv.push('-c', ctx.config.dovecot.config);
  argv.push('namespace', 'mail_location', 'mail_plugins', 'plugin');
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
  return parseDoveconf(r.stdout);
}
