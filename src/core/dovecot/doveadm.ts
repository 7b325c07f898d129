/**
 * doveadm argv builders and what its exit codes mean (doveadm-mail.c, doveadm-dsync.c; measured here,
 * see shared/notes/command-formats.md). Every Dovecot command Mailops runs is built here.
 */
import { withPrivilege, type HostConfig } from '../hosts/model';
import { checkAccountName } from '../names';

/** `doveadm [-c CONFIG] [-o k=v …]` without a command and without the privilege prefix. */
export function doveadmBaseArgv(host: HostConfig, overrides: Record<string, string> = {}): string[] {
  const argv = ['doveadm'];
  if (host.dovecot?.config) argv.push('-c', host.dovecot.config);
  for (const [k, v] of Object.entries(overrides)) argv.push('-o', `${k}=${v}`);
  return argv;
}

/** `doveadm [-c CONFIG] [-o k=v …] ARGS…`, with the host's privilege prefix. */
export function doveadmArgv(host: HostConfig, args: readonly string[], overrides: Record<string, string> = {}): string[] {
  return withPrivilege([...doveadmBaseArgv(host, overrides), ...args], host.privilege);
}

/**
 * The arguments of a doveadm mail command for exactly one account: `COMMAND… -u ACCOUNT OPTIONS… -- ARGS…`.
 *
 * The account is checked first (names.ts: no `*` or `?`, which `-u` expands to every matching user; no
 * leading `-`). Everything after the options goes behind `--`: doveadm parses with getopt_long, which
 * permutes, so without it a mailbox named `-x` anywhere on the line is read as an option ("create: invalid
 * option -- 'x'", exit 64). Measured on 2.3.19 and 2.4.1: `--` is honoured by mailbox status, mailbox
 * create, mailbox delete, mailbox path, fetch, move, flags add, expunge, import and user, and the mailbox
 * named `-x` is then created, listed, read, moved into and imported into like any other.
 */
export function doveadmMailArgs(command: readonly string[], account: string, options: readonly string[], args: readonly string[], host?: string): string[] {
  checkAccountName('dovecot', account, { host });
  return [...command, '-u', account, ...options, '--', ...args];
}

export interface ExitMeaning {
  name: string;
  meaning: string;
  hint: string;
}

export const DOVEADM_EXIT_CODES: Record<number, ExitMeaning> = {
  0: { name: 'OK', meaning: 'success', hint: '' },
  2: {
    name: 'NOT_IN_SYNC',
    meaning: 'dsync finished but the two sides are not fully in sync: something changed during the run',
    hint: 'run the backup again; it normally converges on the next run',
  },
  64: { name: 'EX_USAGE', meaning: 'doveadm rejected the command line (usage error)', hint: 'this is a Mailops bug or an unsupported doveadm version: report it with the command' },
  65: {
    name: 'EX_DATAERR',
    meaning: 'data error: for a stateful backup, usually the source mailbox UIDVALIDITY changed, so the saved state no longer applies',
    hint: 'make a fresh full mirror into a new folder; the old mirror is kept until you remove it',
  },
  67: { name: 'EX_NOUSER', meaning: 'no such user', hint: 'check the account name (mailops accounts lists them)' },
  68: { name: 'EX_NOTFOUND', meaning: 'no such mailbox', hint: 'check the mailbox name (mailops mailboxes ACCOUNT lists them)' },
  73: { name: 'EX_CANTCREAT', meaning: 'over quota or cannot create', hint: 'free space or raise the quota of the destination' },
  75: {
    name: 'EX_TEMPFAIL',
    meaning: 'temporary failure: the destination is not writable, a lock is held, the Dovecot master is not running, or an unknown field was asked',
    hint: 'check stderr; fix permissions or start Dovecot, then run again (the saved state was kept)',
  },
  77: { name: 'EX_NOPERM', meaning: 'permission denied', hint: 'run with enough privileges (privilege sudo, or as root / the mail user)' },
  78: { name: 'EX_CONFIG', meaning: 'configuration error', hint: 'run doveconf -n on the host and fix the error it shows' },
  134: { name: 'ABORT', meaning: 'doveadm aborted (often: the Dovecot master is not running, no auth-userdb socket)', hint: 'start Dovecot on the host, then run again' },
};

export function explainDoveadmExit(code: number | null): ExitMeaning {
  if (code === null) return { name: 'SIGNAL', meaning: 'doveadm was killed by a signal', hint: 'run again; check the host for OOM kills' };
  return DOVEADM_EXIT_CODES[code] ?? { name: `EXIT_${code}`, meaning: `doveadm exited with code ${code}`, hint: 'read stderr' };
}
