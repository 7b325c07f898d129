import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { readMessage, type DovecotMessage } from '../../core/dovecot/message';
import { listMessages } from '../../core/dovecot/messages';
import { parseSetRef, withSet } from '../../core/dovecot/sets';
import type { MessageSummary } from '../../core/dovecot/types';

export function renderMessage(m: MessageSummary): string {
  const date = (m.sent ?? m.received ?? '').slice(0, 16).replace('T', ' ');
  const flags = m.flags.filter((f) => f !== '\\Recent').join(' ');
  return `${String(m.uid).padStart(6)}  ${date.padEnd(16)}  ${m.from.slice(0, 30).padEnd(30)}  ${m.subject}${flags ? `  [${flags}]` : ''}`;
}

/** `--show`: a source line, the decoded headers, the attachments, then the text (the HTML part is only mentioned). */
export function renderShownMessage(m: DovecotMessage): string {
  const lines = [`# ${m.host} ${m.account} ${m.set} ${JSON.stringify(m.mailbox)} UID ${m.uid} GUID ${m.guid}${m.truncated ? ` (first ${m.size} of ${m.totalSize ?? '?'} bytes)` : ''}`];
  for (const [k, v] of m.headers) lines.push(`${k}: ${v}`);
  for (const a of m.attachments) lines.push(`# attachment ${a.partId}: ${a.name ?? '(no name)'} (${a.type}, ${a.size} bytes${a.truncated ? ', cut' : ''})`);
  if (m.html !== null) lines.push(`# an HTML part of ${m.html.length} characters (not shown; --json has it)`);
  return `${lines.join('\n')}\n\n${m.text.replace(/\n?$/, '\n')}`;
}

export const messagesCommand: CliCommand = {
  name: 'messages',
  summary: 'list the messages of a mailbox (streamed): uid, guid, flags, size, dates, from, to, subject, message-id',
  usage: 'ACCOUNT MAILBOX [--source live|mirror|archive:ID|expunged] | ACCOUNT MAILBOX --show UID [--source SET] [--max-bytes N]',
  help: 'With --source expunged the MAILBOX argument may be omitted: the lazy_expunge mailbox is listed.\nA missing mailbox is an error (exit 1), not an empty list.\n--show UID prints one message: decoded headers, its attachments and its text part (with --json also the HTML part\nas a string); at most --max-bytes of it are read (default 2 MiB), a larger message is cut with a note.',
  options: {
    source: { type: 'string', valueName: 'SET', description: 'read a backup set: mirror, archive:ID, or expunged (lazy_expunge)' },
    show: { type: 'string', valueName: 'UID', description: 'print one message of the mailbox (headers, attachments, text)' },
    'max-bytes': { type: 'string', valueName: 'N', description: 'with --show: read at most N bytes of the message (default 2097152)' },
  },
  needsHost: true,
  async run(ctx, args) {
    const ref = parseSetRef(args.values.source as string | undefined);
    const [account, mailboxArg, ...rest] = args.positionals;
    if (account === undefined || rest.length || (mailboxArg === undefined && ref.kind !== 'expunged')) throw new UsageError('expected ACCOUNT MAILBOX');
    const host = await ctx.host();
    if (args.values.show !== undefined) {
      const uid = Number(args.values.show);
      if (!Number.isSafeInteger(uid) || uid <= 0) throw new UsageError(`--show ${String(args.values.show)}: not a UID`);
      const maxArg = args.values['max-bytes'] as string | undefined;
      const maxBytes = maxArg === undefined ? undefined : Number(maxArg);
      if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)) throw new UsageError(`--max-bytes ${String(maxArg)}: not a number of bytes`);
      // For --source expunged without MAILBOX, the set's only mailbox is used.
      const m = await readMessage(host, account, ref, { mailbox: mailboxArg, uid }, { maxBytes, signal: ctx.signal });
      ctx.result(m, renderShownMessage);
      return;
    }
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
