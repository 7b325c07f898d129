/**
 * Accounts of a Dovecot host: `doveadm user '*'` (userdb iteration), one name per line.
 */
import type { HostContext } from '../hosts/context';
import { runDoveadm } from './jsonStream';
import type { Account } from './types';

/** Parse `doveadm user '*'` output (pure). Empty lines are skipped; names are kept byte for byte. */
export function parseUserList(text: string): Account[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '')
    .map((name) => ({ name }));
}

export async function listAccounts(ctx: HostContext, opts: { signal?: AbortSignal } = {}): Promise<Account[]> {
  const r = await runDoveadm(ctx, ['user', '*'], {
    signal: opts.signal,
    what: 'listing accounts failed',
    explain: (code, stderr) =>
      /iterat/i.test(stderr)
        ? { meaning: 'the userdb cannot list its users (no iteration support configured)', hint: 'configure iterate_query / iterate for the userdb, or name the account directly' }
        : code === 134 || code === 75
          ? { meaning: 'doveadm could not reach the auth service: the Dovecot master is probably not running', hint: 'start Dovecot on the host (mailops probe shows its state)' }
          : undefined,
  });
  return parseUserList(r.stdout);
}
