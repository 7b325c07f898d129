import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { listMailboxes } from '../../core/dovecot/mailboxes';
import { parseSetRef, withSet } from '../../core/dovecot/sets';
import type { MailboxStatus } from '../../core/dovecot/types';

export function renderMailbox(m: MailboxStatus): string {
  return `${String(m.messages).padStart(7)} msgs ${String(m.unseen).padStart(6)} unseen ${formatBytes(m.vsize).padStart(9)}  ${m.name}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export const mailboxesCommand: CliCommand = {
  name: 'mailboxes',
  summary: 'list the mailboxes of an account with messages, unseen, size, GUID and UIDVALIDITY',
  usage: 'ACCOUNT [--source live|mirror|archive:ID]',
  options: {
    source: { type: 'string', valueName: 'SET', description: 'read a backup set instead of the live mail: mirror, archive:ID, expunged' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, ...rest] = args.positionals;
    if (account === undefined || rest.length) throw new UsageError('expected exactly one ACCOUNT');
    const ref = parseSetRef(args.values.source as string | undefined);
    const host = await ctx.host();
    const list = await withSet(host, account, ref, { signal: ctx.signal }, (set) =>
      listMailboxes(host, account, { overrides: set.overrides, signal: ctx.signal, pattern: set.onlyMailbox ?? '*' }),
    );
    const out = ctx.list<MailboxStatus>();
    for (const m of list) await out.item(m, renderMailbox);
    const total = list.reduce((a, m) => a + m.messages, 0);
    out.end(`${list.length} mailbox${list.length === 1 ? '' : 'es'}, ${total} message${total === 1 ? '' : 's'}`);
  },
};
