import type { CliCommand } from '../types';
import { listAccounts } from '../../core/dovecot/accounts';
import type { Account } from '../../core/dovecot/types';

export const accountsCommand: CliCommand = {
  name: 'accounts',
  summary: 'list the mail accounts of a Dovecot host (doveadm user \'*\')',
  usage: '',
  needsHost: true,
  async run(ctx) {
    const host = await ctx.host();
    const accounts = await listAccounts(host, { signal: ctx.signal });
    const out = ctx.list<Account>();
    for (const a of accounts) await out.item(a, (x) => x.name);
    out.end(`${accounts.length} account${accounts.length === 1 ? '' : 's'}`);
  },
};
