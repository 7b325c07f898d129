import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { listExpunged, previewExpunged, type ExpungedFilter, type ExpungedItem, type PreviewResult } from '../../core/cyrus/expunged';

export function parseTime(v: string | undefined, flag: string): Date | undefined {
  if (v === undefined) return undefined;
  const rel = /^(\d+)([smhdw])$/.exec(v);
  if (rel) return new Date(Date.now() - Number(rel[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2] as 's']! * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${flag} "${v}" is not a time`, { hint: 'use an ISO date (2026-11-20, 2026-11-20T08:00Z) or an age like 2h, 3d' });
  return new Date(t);
}

export function filterFromArgs(values: Record<string, unknown>): ExpungedFilter {
  const field = (values['date-field'] as string | undefined) ?? 'expunged';
  if (!['expunged', 'received', 'sent'].includes(field)) throw new UsageError('--date-field must be expunged, received or sent');
  return {
    from: values.from as string | undefined,
    subject: values.subject as string | undefined,
    since: parseTime(values.since as string | undefined, '--since'),
    before: parseTime(values.before as string | undefined, '--before'),
    dateField: field as ExpungedFilter['dateField'],
  };
}

export const FILTER_OPTIONS = {
  from: { type: 'string' as const, valueName: 'TEXT', description: 'sender contains TEXT (case-insensitive)' },
  subject: { type: 'string' as const, valueName: 'TEXT', description: 'subject contains TEXT (case-insensitive)' },
  since: { type: 'string' as const, valueName: 'TIME', description: 'at or after TIME (ISO date or age: 2h, 3d)' },
  before: { type: 'string' as const, valueName: 'TIME', description: 'before TIME' },
  'date-field': { type: 'string' as const, valueName: 'expunged|received|sent', description: 'which date --since/--before apply to (default expunged)' },
};

function line(i: ExpungedItem): string {
  const r = i.record;
  const when = r.expunged ? r.expunged.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
  const subj = r.cacheError ? '(cache record unreadable: preview with --show)' : JSON.stringify(r.subject ?? '');
  return `${i.folder}  UID ${r.uid}  expunged ${when}  ${r.size} B  from ${r.from ?? '?'}  ${subj}`;
}

export function renderPreview(p: PreviewResult): string {
  const m = p.message;
  return [
    `${p.folder} UID ${p.uid} (expunged ${p.record?.expunged ?? '?'}; file ${p.file})`,
    `From:    ${m.from ?? ''}`,
    `To:      ${m.to ?? ''}`,
    ...(m.cc ? [`Cc:      ${m.cc}`] : []),
    `Date:    ${m.date ?? ''}`,
    `Subject: ${m.subject ?? ''}`,
    '',
    m.text,
  ].join('\n');
}

export const expungedCommand: CliCommand = {
  name: 'expunged',
  summary: 'Cyrus: expunged messages still restorable (unexpunge -l), filtered; --show UID previews one',
  usage: 'ACCOUNT [MAILBOX] [--from X] [--subject Y] [--since T] [--before T] | ACCOUNT MAILBOX --show UID',
  help: 'All live folders of the account when MAILBOX is omitted. MAILBOX is the folder as `mailops folders` shows it\n(INBOX, Archive, Work Stuff/Sub …). Exit code 1 when nothing matched.',
  options: { ...FILTER_OPTIONS, show: { type: 'string', valueName: 'UID', description: 'print the expunged message itself (headers and text)' } },
  needsHost: true,
  async run(ctx, args) {
    const [account, folder] = args.positionals;
    if (!account || args.positionals.length > 2) throw new UsageError('usage: mailops expunged ACCOUNT [MAILBOX]');
    const host = await ctx.host();
    if (args.values.show !== undefined) {
      if (!folder) throw new UsageError('--show needs the MAILBOX');
      const uid = Number(args.values.show);
      if (!Number.isInteger(uid) || uid <= 0) throw new UsageError(`--show ${String(args.values.show)}: not a UID`);
      ctx.result(await previewExpunged(host, account, folder, uid, ctx.signal), renderPreview);
      return 0;
    }
    const filter = filterFromArgs(args.values);
    const out = ctx.list<ExpungedItem>();
    let n = 0;
    for await (const it of listExpunged(host, account, folder, filter, ctx.signal)) {
      await out.item(it, line);
      n++;
    }
    out.end(n ? `${n} expunged message(s)` : 'no expunged messages match');
    return n ? 0 : 1;
  },
};
