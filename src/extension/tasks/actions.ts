/**
 * What each mailops task action does, over the engines in src/core: the output streamed to the task terminal,
 * and the exit code with a one-line meaning.
 *   backup / archive  Dovecot: runBackup (mirror, or mirror + tar full/diff/incr), its run lines streamed;
 *                     Cyrus: cyrusBackup (host-wide mailboxes.db dump + tar full/incr), the same streaming
 *   verify            Dovecot: verifyAccount (live vs mirror or an archive point)
 *   restore           Dovecot: planRestore + applyRestore (mirror / expunged / archive:ID); Cyrus: archive:ID
 *                     restores one folder from a file backup into a NEW folder (cyrusRestore), else unexpunge
 *   unexpunge         Cyrus: unexpunge -u/-a (flagged $Restored)
 *   undelete          Cyrus: IMAP RENAME of a DELETED.* folder as the admin
 *
 * Where a task comes from decides whether it may write without asking (TaskOrigin): a command of the view
 * has asked already; a tasks.json entry is text in a repository, so a restore, unexpunge or undelete from
 * it shows what it will write in a modal and writes only when the operator says so, and one that runs
 * unattended (runOptions.runOn: folderOpen) is refused before it touches the host.
 */
import * as vscode from 'vscode';
import { cyrusBackup, type CyrusBackupKind, type CyrusBackupResult } from '../../core/cyrus/backup';
import { planUndelete, undelete } from '../../core/cyrus/deleted';
import { unexpunge, type UnexpungePlan } from '../../core/cyrus/expunged';
import { adminEndpoint, adminSession, type AdminEndpoint } from '../../core/cyrus/imapAdmin';
import { cyrusRestore, type CyrusRestoreResult } from '../../core/cyrus/restore';
import { BACKUP_KINDS, describePlan, runBackup, type BackupKind, type BackupResult } from '../../core/dovecot/backup';
import { applyRestore, planRestore } from '../../core/dovecot/restore';
import { parseSetRef } from '../../core/dovecot/sets';
import type { RestorePlan } from '../../core/dovecot/types';
import { verifyAccount } from '../../core/dovecot/verify';
import { UsageError } from '../../core/errors';
import type { HostContext } from '../../core/hosts/context';
import { probe } from '../../core/probe';
import type { RunEvent } from '../../core/backup/runlog';
import type { Connections } from '../hosts/connections';
import { getLog } from '../log';
import { DIM, RESET, colourStepLine, colourToolLine } from './ansi';
import type { MailopsTaskDefinition } from './definition';
import { taskName } from './definition';
import type { ActionOutcome, ActionRunner, TaskOutput } from './terminal';

/**
 * Where a task was started: `command` (a command of the view, which asked already), `tasks.json` (run by
 * the operator from the task list), `unattended` (tasks.json with runOptions.runOn folderOpen: nobody asked).
 */
export type TaskOrigin = 'command' | 'tasks.json' | 'unattended';

/** The actions that write into mailboxes when not a dry run. */
const WRITING_ACTIONS: ReadonlySet<MailopsTaskDefinition['action']> = new Set(['restore', 'unexpunge', 'undelete']);

/**
 * Asks before a write: true to go on. Tasks started by a command have asked already (`asks` is false and
 * confirm says yes); tasks.json ones ask in a modal that says what will be written.
 */
interface WriteGate {
  readonly asks: boolean;
  confirm(question: string, detail: string, action: string): Promise<boolean>;
}

const ASKED_ALREADY: WriteGate = { asks: false, confirm: async () => true };

function writeGate(origin: TaskOrigin, d: MailopsTaskDefinition): WriteGate {
  if (origin === 'command') return ASKED_ALREADY;
  const confirm = async (question: string, detail: string, action: string): Promise<boolean> => {
    const answer = await vscode.window.showWarningMessage(
      question,
      { modal: true, detail: `${detail}\n\n${vscode.l10n.t('This task comes from tasks.json ("{0}"), which a repository can ship: check what it writes.', taskName(d))}` },
      action,
    );
    getLog().info(`tasks.json task "${taskName(d)}": ${answer === action ? 'confirmed' : 'not confirmed'} by the operator`);
    return answer === action;
  };
  return { asks: true, confirm };
}

/** A few lines of a list for a modal (the full list is in the task's terminal). */
function firstLines(lines: string[], max = 8): string {
  if (lines.length <= max) return lines.join('\n');
  return `${lines.slice(0, max).join('\n')}\n${vscode.l10n.t('… and {0} more (listed in the task terminal)', lines.length - max)}`;
}

const NOT_CONFIRMED: ActionOutcome = { code: 1, summary: vscode.l10n.t('exit 1: not confirmed; nothing was changed') };

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new UsageError(`the task needs ${what}`);
  return v;
}

/** "doveadm backup exited 2: in sync after 1 retry", "exit 75: …; the old state was kept". */
export function backupSummary(r: BackupResult): string {
  if (r.skipped) return vscode.l10n.t('exit 3: skipped: another run for {0} holds the lock', r.account);
  const parts: string[] = [];
  if (r.doveadmExit !== null) {
    const sync = r.inSync
      ? r.retries
        ? vscode.l10n.t('in sync after {0} {1}', r.retries, r.retries === 1 ? vscode.l10n.t('retry') : vscode.l10n.t('retries'))
        : vscode.l10n.t('in sync')
      : r.inSync === false
        ? vscode.l10n.t('NOT fully in sync after {0} retries', r.retries)
        : (r.meaning ?? vscode.l10n.t('not synced'));
    parts.push(vscode.l10n.t('doveadm backup exited {0}: {1}', r.doveadmExit, sync));
    if (!r.inSync && r.meaning && r.meaning !== sync) parts.push(r.meaning);
    parts.push(r.stateReplaced ? vscode.l10n.t('state replaced') : vscode.l10n.t('the old state was kept'));
  }
  if (r.archive) parts.push(vscode.l10n.t('archive {0} {1}', r.archive.id, r.archive.verified ? vscode.l10n.t('verified') : vscode.l10n.t('NOT verified')));
  if (r.action) parts.push(vscode.l10n.t('next: {0}', r.action));
  const head = r.exitCode === 0 ? vscode.l10n.t('OK') : r.exitCode === 2 ? vscode.l10n.t('done with warnings') : vscode.l10n.t('FAILED');
  return `${head} (exit ${r.exitCode}): ${parts.join('; ') || (r.meaning ?? '')}`;
}

/** The host's server kind: its `server` setting, or (for `detect`) the one server a probe finds. */
async function serverOf(ctx: HostContext, signal: AbortSignal): Promise<'dovecot' | 'cyrus'> {
  if (ctx.config.server !== 'detect') return ctx.config.server;
  const found = (await probe(ctx, signal)).detected;
  if (found.length === 1 && found[0]) return found[0];
  throw new UsageError(
    found.length ? `${ctx.config.name} runs both Dovecot and Cyrus: the task cannot tell which one it is for` : `${ctx.config.name}: neither Dovecot nor Cyrus was found on the host`,
    { host: ctx.config.name, hint: 'set "server" of the host in the mailops.hosts setting' },
  );
}

/** Streams a backup script's lines: step lines coloured, progress in the status bar, warnings as problems. */
function streamRunLines(out: TaskOutput): (line: string, events: RunEvent[]) => void {
  return (line, events) => {
    const output = events.find((e) => e.type === 'output');
    const severity = output?.type === 'output' ? output.classified?.severity : undefined;
    const step = events.find((e) => e.type === 'step-start');
    if (step?.type === 'step-start') out.progress(step.step);
    out.line(line.startsWith('MAILOPS ') ? colourStepLine(line) : colourToolLine(line, severity));
    for (const e of events) {
      if (e.type === 'warning') {
        const sev = e.classified?.severity === 'error' ? 'error' : 'warning';
        out.problem(sev, e.classified ? `${e.classified.meaning}: ${e.message}` : e.message, e.classified?.kind);
      }
      if (e.type === 'step-end' && e.status === 'fail') out.problem('error', `${e.step} failed${e.fields.meaning ? `: ${e.fields.meaning}` : ''}`, e.step);
    }
  };
}

/**
 * The task's exit code for a Cyrus backup, as the script's codes for Dovecot: 0 done and verified, 1 failed,
 * 2 done with warnings (or the archive not verified), 3 skipped (another run holds the lock).
 */
export function cyrusBackupExit(r: CyrusBackupResult): number {
  if (r.skipped) return 3;
  if (!r.ok) return 1;
  return r.exitCode === 0 && r.verified && r.warnings.length === 0 ? 0 : 2;
}

/** "OK (exit 0): full archive 20261122T042141Z-full (3.1 MiB, verified), 12 mailboxes in the mailboxes.db dump; …". */
export function cyrusBackupSummary(r: CyrusBackupResult): string {
  const code = cyrusBackupExit(r);
  if (code === 3) return vscode.l10n.t('exit 3: skipped: another Cyrus backup run holds the lock');
  const parts: string[] = [];
  if (r.archiveId) {
    parts.push(
      vscode.l10n.t(
        '{0} archive {1} ({2} bytes, {3})',
        r.level ?? r.kind,
        r.archiveId,
        r.bytes ?? '?',
        r.verified ? vscode.l10n.t('verified') : vscode.l10n.t('NOT verified'),
      ),
    );
  }
  if (r.mailboxes !== null) parts.push(vscode.l10n.t('{0} mailboxes in the mailboxes.db dump', r.mailboxes));
  if (r.retention.removed.length) parts.push(vscode.l10n.t('retention removed {0}', r.retention.removed.join(', ')));
  if (r.warnings.length) parts.push(vscode.l10n.t('{0} warning(s)', r.warnings.length));
  if (r.log) parts.push(vscode.l10n.t('log on the host: {0}', r.log));
  const head = code === 0 ? vscode.l10n.t('OK') : code === 2 ? vscode.l10n.t('done with warnings') : vscode.l10n.t('FAILED');
  return `${head} (exit ${code}): ${parts.join('; ')}`;
}

async function cyrusBackupAction(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal): Promise<ActionOutcome> {
  const kind = d.kind ?? 'incr';
  if (kind !== 'full' && kind !== 'incr') {
    throw new UsageError(`"kind": "${kind}" is not a Cyrus backup kind; a Cyrus backup is "full" or "incr"`, {
      host: ctx.config.name,
      hint: 'Cyrus is backed up host-wide with tar: a full archive, then incremental ones on it (the first run is always full)',
    });
  }
  if (d.account) out.line(`${DIM}(a Cyrus backup is host-wide: "account": "${d.account}" is ignored)${RESET}`);
  if (d.dryRun) {
    out.line(vscode.l10n.t('1. dump mailboxes.db with ctl_mboxlist -d'));
    out.line(vscode.l10n.t('2. tar a {0} archive of the partitions and the config directory (--listed-incremental)', kind));
    out.line(vscode.l10n.t('3. verify the archive with tar -tzf; retention of older chains'));
    return { code: 0, summary: vscode.l10n.t('dry run: nothing was changed') };
  }
  const r = await cyrusBackup(ctx, { kind: kind satisfies CyrusBackupKind }, { signal, onLine: streamRunLines(out) });
  for (const id of r.retention.kept) out.line(`${DIM}retention: kept ${id} (no newer verified full archive yet)${RESET}`);
  return { code: cyrusBackupExit(r), summary: cyrusBackupSummary(r) };
}

async function backup(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal): Promise<ActionOutcome> {
  if ((await serverOf(ctx, signal)) === 'cyrus') return cyrusBackupAction(ctx, d, out, signal);
  const account = need(d.account, 'an account (a Dovecot backup is per account)');
  const kind = (d.kind ?? (d.action === 'archive' ? 'full' : 'mirror')) as BackupKind;
  if (!BACKUP_KINDS.includes(kind)) throw new UsageError(`unknown backup kind "${kind}"`, { hint: 'use mirror, full, diff or incr' });
  if (d.action === 'archive' && kind === 'mirror') throw new UsageError('an archive task needs kind full, diff or incr');
  if (d.dryRun) {
    describePlan(ctx.config, account, { kind }).forEach((s, i) => out.line(`${i + 1}. ${s}`));
    return { code: 0, summary: vscode.l10n.t('dry run: nothing was changed') };
  }
  const r = await runBackup(ctx, account, { kind }, { signal, onLine: streamRunLines(out) });
  return { code: r.exitCode, summary: backupSummary(r) };
}

async function verify(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal): Promise<ActionOutcome> {
  const account = need(d.account, 'an account');
  const set = parseSetRef(d.source, { kind: 'mirror' });
  if (set.kind === 'live' || set.kind === 'expunged') throw new UsageError('verify compares the live mail with a backup: source mirror or archive:ID');
  out.progress(vscode.l10n.t('comparing'));
  const r = await verifyAccount(ctx, account, { set, signal });
  out.line(`verify ${r.account}: live vs ${r.setLabel}${r.backupTime ? ` (backup of ${r.backupTime})` : ''}`);
  for (const m of r.mailboxes) {
    out.line(`  ${m.mailbox}: live ${m.live}, backup ${m.backup}, missing ${m.missing} (${m.missingOlder} older, ${m.missingNewer} newer), extra ${m.extra}${m.moved ? `, moved ${m.moved}` : ''}`);
    if (m.missingOlder > 0) out.problem('error', `${m.mailbox}: the backup lacks ${m.missingOlder} message(s) older than the backup run`, 'verify-missing');
  }
  for (const s of r.skipped) out.line(`${DIM}  (skipped ${s.mailbox}: ${s.reason})${RESET}`);
  const t = r.totals;
  return {
    code: r.ok ? 0 : 1,
    summary: r.ok
      ? vscode.l10n.t('OK (exit 0): the backup has all mail older than the backup run ({0} live, {1} in the backup, {2} newer)', t.live, t.backup, t.missingNewer)
      : vscode.l10n.t('FAILED (exit 1): the backup lacks {0} message(s) older than the backup run', t.missingOlder),
  };
}

function printRestorePlan(plan: RestorePlan, out: TaskOutput): void {
  out.line(`restore ${plan.account} from ${plan.sourceLabel} into ${plan.target.mode === 'original' ? 'the original folders' : plan.target.folder}`);
  for (const m of plan.toRestore) out.line(`  + ${m.folder} → ${m.destination}  ${m.subject}  (${m.from})`);
  for (const m of plan.alreadyPresent) out.line(`${DIM}  = ${m.folder}: already live (${m.presentBy ?? 'guid'})  ${m.subject}${RESET}`);
  for (const f of plan.missingMailboxes) out.problem('warning', `the source has no folder ${f}`, 'restore-missing-folder');
}

function printCyrusRestore(r: CyrusRestoreResult, out: TaskOutput): void {
  out.line(`${r.account}: folder ${JSON.stringify(r.folder)} from ${r.archive} (chain ${r.chain.join(' + ')}) into the new folder ${JSON.stringify(r.target.folder)}`);
  for (const m of r.messages) out.line(`  UID ${m.uid}  ${m.date ?? '?'}  ${m.size} B  from ${m.from ?? '?'}  ${JSON.stringify(m.subject ?? '')}`);
}

/** Cyrus: one folder (or some UIDs of it) from an archive point of a file backup into a NEW folder. */
async function cyrusArchiveRestore(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal, connections: Connections, gate: WriteGate): Promise<ActionOutcome> {
  const account = need(d.account, 'an account');
  const folder = need(d.mailbox, '"mailbox": the archived folder to restore');
  const archiveId = (d.source ?? '').slice('archive:'.length);
  const req = { account, folder, archiveId, ...(d.uids?.length ? { uids: d.uids } : {}), ...(d.to ? { to: d.to } : {}) };
  if (d.dryRun) {
    out.progress(vscode.l10n.t('extracting'));
    const plan = await cyrusRestore(ctx, { ...req, dryRun: true }, undefined, signal);
    printCyrusRestore(plan, out);
    return { code: 0, summary: vscode.l10n.t('dry run: {0} message(s) would be restored into the new folder {1}; nothing was changed', plan.messages.length, plan.target.folder) };
  }
  const ep = adminEndpoint(ctx);
  if (gate.asks) {
    out.progress(vscode.l10n.t('extracting'));
    const plan = await cyrusRestore(ctx, { ...req, dryRun: true }, undefined, signal);
    printCyrusRestore(plan, out);
    const ok = await gate.confirm(
      vscode.l10n.t('Restore {0} message(s) of {1} into the new folder {2} of {3} on {4}?', plan.messages.length, folder, plan.target.folder, account, ctx.config.name),
      vscode.l10n.t('From the file backup {0}, as the Cyrus admin {1}; the live folder is not touched.', archiveId, ep.user),
      vscode.l10n.t('Restore'),
    );
    if (!ok) return NOT_CONFIRMED;
  }
  const password = await askAdminPassword(ctx, ep, out, connections);
  if (password === undefined) return { code: 1, summary: vscode.l10n.t('exit 1: no admin password given; nothing was changed') };
  out.progress(vscode.l10n.t('restoring'));
  out.line(`${DIM}extracting ${JSON.stringify(folder)} from the archive chain of ${archiveId}, creating the new folder as ${ep.user}, copying, reconstruct${RESET}`);
  const r = await cyrusRestore(ctx, req, password, signal);
  printCyrusRestore(r, out);
  return { code: 0, summary: vscode.l10n.t('OK (exit 0): {0} message(s) of {1} restored into the new folder {2} (checked in its cyrus.index)', r.restored ?? 0, r.folder, r.target.folder) };
}

async function restore(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal, connections: Connections, gate: WriteGate): Promise<ActionOutcome> {
  if ((await serverOf(ctx, signal)) === 'cyrus') {
    if (d.source?.startsWith('archive:')) return cyrusArchiveRestore(ctx, d, out, signal, connections, gate);
    return unexpungeAction(ctx, { ...d, action: 'unexpunge' }, out, signal, gate);
  }
  const account = need(d.account, 'an account');
  const source = parseSetRef(d.source, { kind: 'expunged' });
  out.progress(vscode.l10n.t('planning'));
  const plan = await planRestore(ctx, account, {
    source,
    selection: d.mailbox ? { mailboxes: [d.mailbox] } : {},
    target: d.to ? { mode: 'new-folder', folder: d.to } : { mode: 'original' },
    signal,
  });
  printRestorePlan(plan, out);
  if (d.dryRun) return { code: 0, summary: vscode.l10n.t('dry run: {0} message(s) would be restored, {1} already live; nothing was changed', plan.totals.toRestore, plan.totals.alreadyPresent) };
  if (plan.toRestore.length > 0) {
    const into = plan.target.mode === 'original' ? vscode.l10n.t('the folders they came from') : vscode.l10n.t('the folder {0}', plan.target.folder);
    const ok = await gate.confirm(
      vscode.l10n.t('Restore {0} message(s) of {1} on {2} into {3}?', plan.toRestore.length, account, ctx.config.name, into),
      `${vscode.l10n.t('From {0}; {1} already live are skipped.', plan.sourceLabel, plan.totals.alreadyPresent)}\n${firstLines(plan.toRestore.map((m) => `+ ${m.folder} → ${m.destination}: ${m.subject}`))}`,
      vscode.l10n.t('Restore'),
    );
    if (!ok) return NOT_CONFIRMED;
  }
  out.progress(vscode.l10n.t('restoring'));
  const r = await applyRestore(ctx, plan, { signal, onProgress: (m) => out.line(`${DIM}${m}${RESET}`) });
  for (const n of r.notConfirmed) out.problem('error', `${n.folder}: message ${n.guid} was not found live after the restore`, 'restore-not-confirmed');
  return {
    code: r.notConfirmed.length ? 1 : 0,
    summary: r.notConfirmed.length
      ? vscode.l10n.t('FAILED (exit 1): {0} restored message(s) could not be confirmed live', r.notConfirmed.length)
      : vscode.l10n.t('OK (exit 0): {0} message(s) restored (operation {1}, undo with mailops restore --undo)', r.restored.length, r.opId ?? '-'),
  };
}

function printUnexpunge(p: UnexpungePlan, out: TaskOutput): void {
  for (const r of p.selected) out.line(`  UID ${r.uid}  ${r.expunged ?? '?'}  from ${r.from ?? '?'}  ${JSON.stringify(r.subject ?? '')}`);
}

async function unexpungeAction(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal, gate: WriteGate): Promise<ActionOutcome> {
  const account = need(d.account, 'an account');
  const folder = need(d.mailbox, 'a folder');
  const req = { account, folder, ...(d.all ? { all: true } : { uids: need(d.uids, 'UIDs or all') }) };
  out.progress(vscode.l10n.t('listing'));
  const plan = await unexpunge(ctx, { ...req, dryRun: true }, signal);
  out.line(`${plan.folder}: ${plan.selected.length} expunged message(s) selected`);
  printUnexpunge(plan, out);
  if (plan.selected.length === 0) return { code: 1, summary: vscode.l10n.t('exit 1: nothing to restore in {0}', plan.folder) };
  if (d.dryRun) return { code: 0, summary: vscode.l10n.t('dry run: {0} message(s) would be restored into {1}; nothing was changed', plan.selected.length, plan.folder) };
  const ok = await gate.confirm(
    vscode.l10n.t('Unexpunge {0} message(s) into {1} of {2} on {3}?', plan.selected.length, plan.folder, account, ctx.config.name),
    firstLines(plan.selected.map((r) => `UID ${r.uid}: ${r.subject ?? '?'} (${r.from ?? '?'})`)),
    vscode.l10n.t('Unexpunge'),
  );
  if (!ok) return NOT_CONFIRMED;
  out.progress(vscode.l10n.t('unexpunging'));
  const done = await unexpunge(ctx, req, signal);
  const map = done.result?.restored.map((x) => `${x.oldUid} => ${x.newUid}`).join(', ') ?? '';
  out.line(`restored ${done.result?.count ?? '?'} message(s) (old UID => new UID: ${map})`);
  return { code: 0, summary: vscode.l10n.t('OK (exit 0): unexpunge restored {0} message(s) into {1}, flagged $Restored', done.result?.count ?? 0, done.folder) };
}

async function undeleteAction(ctx: HostContext, d: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal, connections: Connections, gate: WriteGate): Promise<ActionOutcome> {
  const account = need(d.account, 'an account');
  const name = need(d.name, 'the deleted folder');
  const req = { account, name, ...(d.to ? { to: d.to } : {}) };
  const plan = await planUndelete(ctx, { ...req, dryRun: true }, signal);
  out.line(`undelete ${JSON.stringify(plan.from.originalFolder)} (deleted ${plan.from.deletedAt}, ${plan.from.messages ?? '?'} msgs) -> ${JSON.stringify(plan.targetFolder)}`);
  out.line(`${DIM}  IMAP RENAME ${plan.from.toolName} ${plan.targetName} as ${plan.endpoint.user} at ${plan.endpoint.host}:${plan.endpoint.port} on the host${RESET}`);
  if (d.dryRun) return { code: 0, summary: vscode.l10n.t('dry run: nothing was changed') };
  const ok = await gate.confirm(
    vscode.l10n.t('Undelete "{0}" of {1} on {2} as "{3}"?', plan.from.originalFolder, account, ctx.config.name, plan.targetFolder),
    vscode.l10n.t('Deleted {0}, {1} message(s). IMAP RENAME {2} → {3} as the Cyrus admin {4}.', plan.from.deletedAt, plan.from.messages ?? '?', plan.from.toolName, plan.targetName, plan.endpoint.user),
    vscode.l10n.t('Undelete'),
  );
  if (!ok) return NOT_CONFIRMED;
  const password = await askAdminPassword(ctx, plan.endpoint, out, connections);
  if (password === undefined) return { code: 1, summary: vscode.l10n.t('exit 1: no admin password given; nothing was changed') };
  out.progress(vscode.l10n.t('renaming'));
  const r = await undelete(ctx, req, password, signal);
  return { code: 0, summary: vscode.l10n.t('OK (exit 0): {0} is back as {1}', r.from.originalFolder, r.targetFolder) };
}

/**
 * The Cyrus admin password, checked against the server (LOGIN, LOGOUT) before anything is written: the
 * remembered one, else asked in an input box (which says whether it will be remembered); a refused one is
 * forgotten and asked again (EditorPrompter.withCyrusAdminPassword). Never written to the terminal or the log.
 */
async function askAdminPassword(ctx: HostContext, ep: AdminEndpoint, out: TaskOutput, connections: Connections): Promise<string | undefined> {
  out.progress(vscode.l10n.t('waiting for the admin password'));
  out.line(`${DIM}${vscode.l10n.t('the password of the Cyrus admin {0} at {1}:{2} is needed: unless one is remembered, it is asked in the input box at the top of the window', ep.user, ep.host, ep.port)}${RESET}`);
  const r = await connections.prompter.withCyrusAdminPassword(ctx, ep, async (password) => {
    await adminSession(ctx, ep, password, []);
    return password;
  });
  return r?.value;
}

/** The runner the pseudoterminal calls, bound to the extension's connections and to where the task came from. */
export function actionRunner(connections: Connections, from: TaskOrigin = 'command'): ActionRunner {
  return async (d, out, signal) => {
    if (from === 'unattended' && WRITING_ACTIONS.has(d.action) && !d.dryRun) {
      out.problem('error', `this ${d.action} task from tasks.json starts by itself when the folder opens (runOptions.runOn: folderOpen): refused`, 'task-unattended');
      return {
        code: 1,
        summary: vscode.l10n.t(
          'exit 1: refused: this {0} task from tasks.json starts by itself when the folder opens (runOptions.runOn: folderOpen) and would write into mailboxes with nobody asked; nothing was changed. Run it from Terminal > Run Task (it then asks first), or remove its runOptions.runOn.',
          d.action,
        ),
      };
    }
    const gate = writeGate(from, d);
    const ctx = connections.get(d.host);
    switch (d.action) {
      case 'backup':
      case 'archive':
        return backup(ctx, d, out, signal);
      case 'verify':
        return verify(ctx, d, out, signal);
      case 'restore':
        return restore(ctx, d, out, signal, connections, gate);
      case 'unexpunge':
        return unexpungeAction(ctx, d, out, signal, gate);
      case 'undelete':
        return undeleteAction(ctx, d, out, signal, connections, gate);
    }
  };
}
