import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { verifyAccount } from '../../core/dovecot/verify';
import { parseSetRef } from '../../core/dovecot/sets';
import type { VerifyReport } from '../../core/dovecot/types';

export function renderVerify(r: VerifyReport): string {
  const out = [
    `verify ${r.account}: live vs ${r.setLabel}${r.backupTime ? ` (backup of ${r.backupTime})` : ' (backup time unknown: every missing message counts)'}`,
  ];
  for (const m of r.mailboxes) {
    const flags = [m.onlyLive ? 'only live' : '', m.onlyBackup ? 'only in backup' : ''].filter(Boolean).join(', ');
    out.push(
      `  ${m.mailbox}: live ${m.live}, backup ${m.backup}, missing ${m.missing} (${m.missingOlder} older than the backup, ${m.missingNewer} newer), extra ${m.extra}${m.moved ? `, moved ${m.moved}` : ''}${flags ? ` [${flags}]` : ''}`,
    );
    for (const s of m.missingSamples) out.push(`      missing: uid ${s.uid} ${s.subject}`);
    for (const s of m.extraSamples) out.push(`      extra:   uid ${s.uid} ${s.subject}`);
  }
  for (const s of r.skipped) out.push(`  (skipped ${s.mailbox}: ${s.reason})`);
  const t = r.totals;
  out.push(`total: live ${t.live}, backup ${t.backup}, missing ${t.missing} (${t.missingOlder} older), extra ${t.extra}, moved ${t.moved}`);
  out.push(r.ok ? 'OK: the backup has all mail older than the backup run' : 'FAILED: the backup lacks mail older than the backup run');
  if (r.record?.error) out.push(`warning: the result could not be recorded on the host for mailops health: ${r.record.error}`);
  return out.join('\n');
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'compare an account with its backup per mailbox by message GUID: missing and extra messages',
  usage: 'ACCOUNT [--set mirror|archive:ID]',
  help: 'Exit codes: 1 when the backup lacks mail older than the backup run (newer mail is reported, not a failure).',
  options: {
    set: { type: 'string', valueName: 'SET', description: 'the backup set to check (default mirror)' },
    'as-of': { type: 'string', valueName: 'TIME', description: 'take the backup as made at TIME (ISO 8601) instead of its state file\'s time' },
    grace: { type: 'string', valueName: 'SECONDS', description: 'mail that reached the mailbox up to this long before the backup finished counts as arriving during the run (default 120)' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, ...rest] = args.positionals;
    if (account === undefined || rest.length) throw new UsageError('expected exactly one ACCOUNT');
    const set = parseSetRef(args.values.set as string | undefined, { kind: 'mirror' });
    if (set.kind === 'live' || set.kind === 'expunged') throw new UsageError('verify compares the live mail with a backup: --set mirror or archive:ID');
    const graceText = args.values.grace as string | undefined;
    if (graceText !== undefined && !/^\d+$/.test(graceText)) throw new UsageError('--grace takes a number of seconds');
    const asOf = args.values['as-of'] as string | undefined;
    if (asOf !== undefined && !Number.isFinite(Date.parse(asOf))) throw new UsageError(`--as-of: cannot read the time "${asOf}"`);
    const host = await ctx.host();
    const report = await verifyAccount(host, account, {
      set,
      signal: ctx.signal,
      graceSeconds: graceText === undefined ? undefined : Number(graceText),
      backupTime: asOf === undefined ? undefined : new Date(asOf).toISOString(),
    });
    ctx.result(report, renderVerify);
    return report.ok ? 0 : 1;
  },
};
