import type { CliCommand, CliContext } from '../types';
import { UsageError } from '../../core/errors';
import type { HostContext } from '../../core/hosts/context';
import { applyRestore, planRestore, readOpsLog, undoRestore } from '../../core/dovecot/restore';
import { parseSetRef } from '../../core/dovecot/sets';
import type { PlannedMessage, RestoreOpRecord, RestorePlan, RestoreResult, RestoreSelection, UndoResult } from '../../core/dovecot/types';

function line(m: PlannedMessage): string {
  const date = (m.date ?? '').slice(0, 16).replace('T', ' ');
  return `  ${m.folder} uid ${m.uid}  ${date.padEnd(16)}  ${m.from.slice(0, 28).padEnd(28)}  ${m.subject.slice(0, 60)}  -> ${m.destination}`;
}

export function renderPlan(p: RestorePlan): string {
  const out = [
    `restore for ${p.account} from ${p.sourceLabel} into ${p.target.mode === 'original' ? 'the original folders' : p.target.folder}`,
    `${p.totals.toRestore} message${p.totals.toRestore === 1 ? '' : 's'} to restore (${p.totals.bytes} bytes), ${p.totals.alreadyPresent} already present`,
  ];
  if (p.missingMailboxes.length) out.push(`not in ${p.sourceLabel}: ${p.missingMailboxes.join(', ')}`);
  if (p.toRestore.length) out.push('', 'to restore:', ...p.toRestore.map(line));
  if (p.alreadyPresent.length) out.push('', 'already present (skipped):', ...p.alreadyPresent.map((m) => `${line(m).replace(/ -> .*$/, '')}  (live in ${m.destination}, by ${m.presentBy})`));
  return out.join('\n');
}

function renderResult(r: RestoreResult): string {
  if (r.dryRun) return `${renderPlan(r.plan)}\n\ndry run: nothing was changed`;
  const out = [renderPlan(r.plan), ''];
  if (r.opId) out.push(`restored ${r.restored.length} message${r.restored.length === 1 ? '' : 's'}, marked $Restored; operation ${r.opId} (undo: mailops restore ACCOUNT --undo ${r.opId})`);
  else out.push('nothing to restore');
  if (r.notConfirmed.length) out.push(`NOT confirmed in the target after the restore: ${r.notConfirmed.map((x) => `${x.folder} ${x.guid}`).join(', ')}`);
  return out.join('\n');
}

function renderUndo(r: UndoResult): string {
  const out = [`${r.dryRun ? 'would expunge' : 'expunged'} ${r.expunge.length} restored message${r.expunge.length === 1 ? '' : 's'} of ${r.opId}`];
  for (const x of r.expunge) out.push(`  ${x.folder}  ${x.guid}`);
  if (r.alreadyGone.length) out.push(`${r.alreadyGone.length} already gone (nothing to do for them)`);
  if (r.undoOpId) out.push(`logged as ${r.undoOpId}`);
  return out.join('\n');
}

function list(v: unknown): string[] {
  return v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [String(v)];
}

export function selectionFromArgs(values: Record<string, unknown>): RestoreSelection {
  const sel: RestoreSelection = {};
  const mailboxes = list(values.mailbox);
  if (mailboxes.length) sel.mailboxes = mailboxes;
  const uids = list(values.uid).flatMap((u) => u.split(/[\s,]+/).filter(Boolean));
  if (uids.length) {
    if (uids.some((u) => !/^\d+$/.test(u))) throw new UsageError('--uid takes numbers (repeat it or separate with commas)');
    sel.uids = uids.map(Number);
  }
  const guids = list(values.guid).flatMap((g) => g.split(/[\s]+/).filter(Boolean));
  if (guids.length) sel.guids = guids;
  for (const k of ['since', 'before', 'subject'] as const) if (typeof values[k] === 'string') sel[k] = values[k] as string;
  if (typeof values.sender === 'string') sel.from = values.sender as string;
  return sel;
}

async function listOps(ctx: CliContext, host: HostContext, account: string): Promise<void> {
  const ops = await readOpsLog(host, account, ctx.signal);
  const out = ctx.list<RestoreOpRecord>();
  for (const op of ops) {
    await out.item(op, (o) => `${o.id}  ${o.time}  ${o.kind === 'undo' ? `undo of ${o.undoes}` : `from ${o.source} into ${o.target.mode === 'original' ? 'original folders' : o.target.folder}`}  ${o.items.length} message${o.items.length === 1 ? '' : 's'}`);
  }
  out.end(`${ops.length} operation${ops.length === 1 ? '' : 's'}`);
}

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'restore Dovecot mail from the mirror, an archive chain point or lazy_expunge (plan, apply, undo)',
  usage: 'ACCOUNT --from mirror|archive:ID|expunged [selection] [--into FOLDER | --into-original] [--dry-run]\n       mailops restore ACCOUNT --undo OP_ID [--dry-run]\n       mailops restore ACCOUNT --list-ops',
  help: [
    'Plans first: messages already live (same GUID, else same Message-ID, in any folder) are skipped, so',
    'running a restore twice adds nothing the second time. Restored messages carry the keyword $Restored and',
    'each restore is logged on the host (ops.log next to the backups) under an operation id for --undo.',
    'Default target: a new folder Restored/YYYY-MM-DD HHMM (with the server\'s separator); each source',
    'folder lands under it. Live mail is never overwritten or deleted, except by an explicit --undo.',
    'The sender filter is --sender (--from names the backup set). Dates are received dates, UTC.',
    'Exit codes: 1 when a restored message could not be confirmed in the target.',
  ].join('\n'),
  options: {
    from: { type: 'string', valueName: 'SET', description: 'where to restore from: mirror, archive:ID or expunged' },
    mailbox: { type: 'string', multiple: true, valueName: 'NAME', description: 'only this source folder (repeatable)' },
    uid: { type: 'string', multiple: true, valueName: 'N[,N…]', description: 'only these UIDs of the one --mailbox (repeatable)' },
    guid: { type: 'string', multiple: true, valueName: 'GUID', description: 'only these message GUIDs (repeatable)' },
    since: { type: 'string', valueName: 'DATE', description: 'received on or after DATE (YYYY-MM-DD or ISO 8601)' },
    before: { type: 'string', valueName: 'DATE', description: 'received before DATE' },
    sender: { type: 'string', valueName: 'TEXT', description: 'From header contains TEXT (case-insensitive)' },
    subject: { type: 'string', valueName: 'TEXT', description: 'Subject contains TEXT (case-insensitive)' },
    into: { type: 'string', valueName: 'FOLDER', description: 'target folder (default Restored/YYYY-MM-DD HHMM)' },
    'into-original': { type: 'boolean', description: 'restore into the folders the messages came from' },
    'dry-run': { type: 'boolean', description: 'show the plan (or what --undo would expunge) and change nothing' },
    undo: { type: 'string', valueName: 'OP_ID', description: 'expunge exactly the messages a restore added' },
    'list-ops': { type: 'boolean', description: 'list the restores logged for the account' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, ...rest] = args.positionals;
    if (account === undefined || rest.length) throw new UsageError('expected exactly one ACCOUNT');
    const v = args.values;
    const dryRun = v['dry-run'] === true;
    if (v['list-ops']) {
      await listOps(ctx, await ctx.host(), account);
      return 0;
    }
    if (typeof v.undo === 'string') {
      if (v.from !== undefined) throw new UsageError('--undo and --from exclude each other');
      const host = await ctx.host();
      const r = await undoRestore(host, account, v.undo, { dryRun, signal: ctx.signal, confirm: (q) => ctx.confirm(q) });
      ctx.result(r, renderUndo);
      return 0;
    }
    if (typeof v.from !== 'string') throw new UsageError('--from SET is required', { hint: 'mirror, archive:ID or expunged' });
    if (v.into !== undefined && v['into-original']) throw new UsageError('--into and --into-original exclude each other');
    const source = parseSetRef(v.from);
    const selection = selectionFromArgs(v);
    const host = await ctx.host();
    const target = v['into-original'] ? { mode: 'original' as const } : { mode: 'new-folder' as const, folder: v.into as string | undefined };
    const plan = await planRestore(host, account, { source, selection, target, signal: ctx.signal });
    if (dryRun) {
      ctx.result<RestoreResult>({ dryRun: true, plan, opId: null, restored: [], notConfirmed: [], opsLog: '' }, renderResult);
      return 0;
    }
    if (plan.toRestore.length > 0) {
      const where = plan.target.mode === 'original' ? 'their original folders' : plan.target.folder;
      if (!(await ctx.confirm(`restore ${plan.toRestore.length} message${plan.toRestore.length === 1 ? '' : 's'} of ${account} from ${plan.sourceLabel} into ${where}?`))) {
        throw new UsageError('restore cancelled: nothing was changed');
      }
    }
    const r = await applyRestore(host, plan, { signal: ctx.signal, onProgress: (m) => ctx.info(m) });
    ctx.result(r, renderResult);
    return r.notConfirmed.length ? 1 : 0;
  },
};
