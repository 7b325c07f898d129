/**
 * The names and paths Mailops hands to the mail tools, checked before anything runs on the host.
 *
 * Accounts: a name that reaches `doveadm -u` or a Cyrus tool as an account must mean exactly one account.
 * `doveadm -u` treats `*` and `?` as wildcards and iterates over every matching user (measured on 2.3 and
 * 2.4), so `a*` would make a restore into the original folders write into other people's accounts; a
 * leading `-` would read as an option wherever the name is not behind an option that takes it. Cyrus user
 * names become a level of `user.NAME…`: a hierarchy separator would name another account's folder, `!` is
 * the internal domain separator, and `*` `%` `?` are IMAP LIST wildcards. Every entry point of the engine that
 * takes an account calls checkAccountName first (one rule per server, in one place).
 *
 * Paths: configuration files, partitions and the config directory that decide what the backup archives and
 * where restores read and write must be absolute and free of control characters (a newline or a `|` in a
 * path must never be able to end a line of the probe's output or an expression); checkHostPath is used where
 * they are read (probe, Cyrus tools, archive metadata).
 */
import { UsageError, MailopsError } from './errors';

export type AccountServer = 'dovecot' | 'cyrus';

/** How a Cyrus host separates levels (unixhierarchysep); the "." rule needs it. */
export interface AccountStyle {
  unixHierarchySep: boolean;
}

// C0 controls, DEL and the C1 controls: none of them belongs in a user name or a path.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why the name breaks the server's rule, or null when it is a valid account name. Pure. */
export function accountNameProblem(server: AccountServer, name: string, style?: AccountStyle): string | null {
  if (typeof name !== 'string' || name === '') return 'an account name cannot be empty';
  if (CONTROL.test(name)) return 'an account name cannot contain control characters (newline, carriage return, tab, escape …)';
  if (name.startsWith('-')) return 'an account name cannot start with "-" (the tools would read it as an option)';
  if (server === 'dovecot') {
    const w = /[*?]/.exec(name);
    if (w) return `a Dovecot account name cannot contain "${w[0]}": doveadm -u treats * and ? as wildcards and would act on every matching user`;
    return null;
  }
  const w = /[*%?]/.exec(name);
  if (w) return `a Cyrus account name cannot contain "${w[0]}": * % and ? are mailbox wildcards and would name other users`;
  if (name.includes('!')) return 'a Cyrus account name cannot contain "!" (the separator of a domain in internal mailbox names)';
  const at = name.indexOf('@');
  const user = at >= 0 ? name.slice(0, at) : name;
  if (at === 0 || name.indexOf('@', at + 1) >= 0 || (at >= 0 && at === name.length - 1)) return 'a Cyrus account name is USER or USER@DOMAIN, with one "@" between two non-empty parts';
  if (user.includes('/')) return 'a Cyrus account name cannot contain "/" (a hierarchy separator: the name would address another account\'s folder)';
  // Without the host's style (before the probe) this rule waits for the second check that has it.
  if (style && !style.unixHierarchySep && user.includes('.')) {
    return 'a Cyrus account name cannot contain "." on this host (unixhierarchysep is off, so "." separates levels: the name would address another account\'s folder)';
  }
  return null;
}

/** Throw a UsageError naming the rule unless `name` is a valid account name for the server. Returns the name. */
export function checkAccountName(server: AccountServer, name: string, opts: { host?: string; style?: AccountStyle } = {}): string {
  const problem = accountNameProblem(server, name, opts.style);
  if (problem === null) return name;
  throw new UsageError(`refusing the account ${JSON.stringify(name)}: ${problem}`, {
    host: opts.host,
    meaning: 'nothing was run on the host',
    hint: server === 'dovecot' ? 'give the exact name of one account (mailops accounts lists them)' : 'give the exact name of one Cyrus user (mailops accounts lists them)',
  });
}

/** Why a path read from a host or a setting cannot be used, or null. Pure. */
export function hostPathProblem(path: string): string | null {
  if (typeof path !== 'string' || path === '') return 'it is empty';
  if (CONTROL.test(path)) return 'it contains control characters';
  if (!path.startsWith('/')) return 'it is not absolute';
  if (path.split('/').includes('..')) return 'it contains a ".." component';
  return null;
}

/** Throw unless `path` is absolute, without control characters and `..`. `what` names it ("Cyrus partition default"). */
export function checkHostPath(path: string, what: string, opts: { host?: string; from?: string; hint?: string } = {}): string {
  const problem = hostPathProblem(path);
  if (problem === null) return path;
  throw new MailopsError(`refusing the ${what} ${JSON.stringify(path)}: ${problem}`, {
    host: opts.host,
    meaning: `${opts.from ? `read from ${opts.from}; ` : ''}paths that decide what is backed up and where restores write must be absolute, without control characters or ".."`,
    hint: opts.hint ?? 'fix the path in the configuration',
  });
}
