import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { unexpunge, type UnexpungePlan } from '../../core/cyrus/expunged';
import { FILTER_OPTIONS, filterFromArgs } from './expunged';

function render(p: UnexpungePlan): string {
  const lines = p.selected.map((r) => `  UID ${r.uid}  ${r.expunged ?? '?'}  from ${r.from ?? '?'}  ${JSON.stringify(r.subject ?? '')}`);
  if (!p.selected.length) return `${p.folder}: nothing to restore`;
  if (p.dryRun) return [`${p.folder}: would restore ${p.selected.length} message(s):`, ...lines].join('\n');
  const map = p.result?.restored.map((x) => `${x.oldUid} => ${x.newUid}`).join(', ') ?? '';
  return [`${p.folder}: restored ${p.result?.count ?? '?'} message(s) (old UID => new UID: ${map})`, ...lines].join('\n');
}

export const unexpungeCommand: CliCommand = {
  name: 'unexpunge',
  summary: 'Cyrus: bring expunged messages back into their folder (unexpunge -u/-a, flagged $Restored)',
  usage: 'ACCOUNT MAILBOX (--uid N… | --all | --since T [filters]) [--flag F] [--dry-run]',
  help: 'Restored messages get new UIDs and the flag (default $Restored); \\Deleted is cleared.\nThe selection is listed before anything changes; --dry-run stops there.',
  options: {
    uid: { type: 'string', multiple: true, valueName: 'N', description: 'a UID to restore (repeatable; also N,M,…)' },
    all: { type: 'boolean', description: 'every expunged message of the folder' },
    ...FILTER_OPTIONS,
    flag: { type: 'string', valueName: 'F', description: 'flag for restored messages (default $Restored; "" for none)' },
    'dry-run': { type: 'boolean', description: 'show what would be restored, change nothing' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, folder] = args.positionals;
    if (!account || !folder || args.positionals.length > 2) throw new UsageError('usage: mailops unexpunge ACCOUNT MAILBOX (--uid N… | --all | --since T)');
    const uids = ((args.values.uid as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--uid ${s}: not a UID`);
      return n;
    });
    const hasFilter = ['since', 'before', 'from', 'subject'].some((k) => args.values[k] !== undefined);
    const all = args.values.all === true;
    if ([uids.length > 0, all, hasFilter].filter(Boolean).length !== 1) throw new UsageError('choose one of --uid N…, --all, or --since/--before/--from/--subject');
    const host = await ctx.host();
    const req = { account, folder, uids: uids.length ? uids : undefined, all, filter: hasFilter ? filterFromArgs(args.values) : undefined, flag: args.values.flag as string | undefined };
    const plan = await unexpunge(host, { ...req, dryRun: true }, ctx.signal);
    if (args.values['dry-run'] || plan.selected.length === 0) {
      ctx.result(plan, render);
      return plan.selected.length ? 0 : 1;
    }
    if (!ctx.json) ctx.info(render(plan));
    if (!(await ctx.confirm(`restore ${plan.selected.length} message(s) into ${plan.folder} of ${account}?`))) {
      ctx.info('nothing changed');
      return 1;
    }
    const done = await unexpunge(host, { ...req, uids: all ? undefined : plan.selected.map((r) => r.uid), filter: undefined, all }, ctx.signal);
    ctx.result(done, render);
    return 0;
  },
};
