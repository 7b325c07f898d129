import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { listMessages } from '../../core/dovecot/messages';
import { parseSetRef, withSet } from '../../core/dovecot/sets';
import type { MessageSummary } from '../../core/dovecot/types';

export function renderMessage(m: MessageSummary): string {
  const date = (m.sent ?? m.received ?? '').slice(0, 16).replace('T', ' ');
  const flags = m.flags.filter((f) => f !== '\\Recent').join(' ');
  return `${String(m.uid).padStart(6)}  ${date.padEnd(16)}  ${m.from.slice(0, 30).padEnd(30)}  ${m.subject}${flags ? `  [${flags}]` : ''}`;
}

export const messagesCommand: CliCommand = {
  name: 'messages',
  summary: 'list the messages of a mailbox (streamed): uid, guid, flags, size, dates, from, to, subject, message-id',
  usage: 'ACCOUNT MAILBOX [--source live|mirror|archive:ID|expunged]',
  help: 'With --source expunged the MAILBOX argument may be omitted: the lazy_expunge mailbox is listed.\nA missing mailbox is an error (exit 1), not an empty list.',
  options: {
    source: { type: 'string', valueName: 'SET', description: 'read a backup set: mirror, archive:ID, or expunged (lazy_expunge)' },
  },
  needsHost: true,
  async run(ctx, args) {
    const ref = parseSetRef(args.values.source as string | undefined);
    const [account, mailboxArg, ...rest] = args.positionals;
    if (account === undefined || rest.length || (mailboxArg === undefined && ref.kind !== 'expunged')) throw new UsageError('expected ACCOUNT MAILBOX');
    const host = await ctx.host();
    await withSet(host, account, ref, { signal: ctx.signal }, async (set) => {
      const mailbox = set.onlyMailbox ?? mailboxArg!;
      if (set.onlyMailbox && mailboxArg !== undefined && mailboxArg !== set.onlyMailbox) {
        ctx.warn(`the expunged set has one mailbox, ${set.onlyMailbox}: listing it instead of ${JSON.stringify(mailboxArg)}`);
      }
      const out = ctx.list<MessageSummary>();
      let n = 0;
      for await (const m of listMessages(host, account, mailbox, { overrides: set.overrides, signal: ctx.signal, where: set.label })) {
        const { saved: _saved, ...summary } = m;
        await out.item(summary, renderMessage);
        n++;
      }
      out.end(`${n} message${n === 1 ? '' : 's'} in ${mailbox}${set.ref.kind === 'live' ? '' : ` (${set.label})`}`);
    });
  },
};
