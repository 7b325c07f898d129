import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { listMailboxes } from '../../core/dovecot/mailboxes';
import { parseSetRef, withSet } from '../../core/dovecot/sets';
import type { MailboxStatus } from '../../core/dovecot/types';
import { listAccounts, type CyrusMailbox } from '../../core/cyrus/mailboxes';
import { countProblemLine, countText, totalText } from './folders';
import type { HostContext } from '../../core/hosts/context';
import type { CliContext } from '../types';
import { serverKind } from '../serverKind';

export function renderMailbox(m: MailboxStatus): string {
  return `${String(m.messages).padStart(7)} msgs ${String(m.unseen).padStart(6)} unseen ${formatBytes(m.vsize).padStart(9)}  ${m.name}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function renderCyrusFolder(m: CyrusMailbox): string {
  const size = m.size === null ? '?' : formatBytes(m.size);
  return `${countText(m.messages).padStart(7)} msgs ${size.padStart(9)}  ${m.folder}    ${m.toolName}${countProblemLine(m.countProblem, '          ')}`;
}

/** `mailops mailboxes ACCOUNT` on a Cyrus host: the account's live folders with counts and sizes (as `folders ACCOUNT`). */
async function cyrusMailboxes(ctx: CliContext, host: HostContext, account: string, source: string | undefined): Promise<number> {
  if (source !== undefined && source !== 'live') {
    throw new UsageError(`--source ${source} is for Dovecot hosts; a Cyrus host lists its live folders`, { hint: 'mailops cyrus-backups --mailboxes ARCHIVE_ID lists the folders of an archive; mailops deleted ACCOUNT the delayed-deleted ones' });
  }
  const accounts = await listAccounts(host, { account, stats: true, signal: ctx.signal });
  const all = accounts.find((a) => a.account === account)?.mailboxes ?? [];
  const live = all.filter((m) => m.deleted === null);
  const out = ctx.list<CyrusMailbox>();
  for (const m of live) await out.item(m, renderCyrusFolder);
  const total = live.reduce((a, m) => a + (m.messages ?? 0), 0);
  const uncounted = live.filter((m) => m.messages === null).length;
  const hidden = all.length - live.length;
  out.end(`${live.length} folder${live.length === 1 ? '' : 's'}, ${totalText(total, uncounted)}${hidden ? `; ${hidden} delayed-deleted folder${hidden === 1 ? '' : 's'} not shown (mailops deleted ${account})` : ''}`);
  return live.length ? 0 : 1;
}

export const mailboxesCommand: CliCommand = {
  name: 'mailboxes',
  summary: 'list the mailboxes of an account (Dovecot: messages, unseen, size, GUID, UIDVALIDITY; Cyrus: folders with messages and size)',
  usage: 'ACCOUNT [--source live|mirror|archive:ID]',
  help: [
    'Dispatches on the host\'s server kind (its "server"; for "detect" hosts the probe decides, or --server dovecot|cyrus).',
    'Cyrus: the account\'s live folders, as `folders ACCOUNT` lists them (the last column is the name the Cyrus tools take);',
    'exit code 1 when the account has none. --source is for Dovecot.',
  ].join('\n'),
  options: {
    source: { type: 'string', valueName: 'SET', description: 'read a backup set instead of the live mail: mirror, archive:ID, expunged (Dovecot)' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, ...rest] = args.positionals;
    if (account === undefined || rest.length) throw new UsageError('expected exactly one ACCOUNT');
    const host = await ctx.host();
    if ((await serverKind(host, args.values, 'mailboxes', ctx.signal)) === 'cyrus') return cyrusMailboxes(ctx, host, account, args.values.source as string | undefined);
    const ref = parseSetRef(args.values.source as string | undefined);
    const list = await withSet(host, account, ref, { signal: ctx.signal }, (set) =>
      listMailboxes(host, account, { overrides: set.overrides, signal: ctx.signal, pattern: set.onlyMailbox ?? '*' }),
    );
    const out = ctx.list<MailboxStatus>();
    for (const m of list) await out.item(m, renderMailbox);
    const total = list.reduce((a, m) => a + m.messages, 0);
    out.end(`${list.length} mailbox${list.length === 1 ? '' : 'es'}, ${total} message${total === 1 ? '' : 's'}`);
  },
};
