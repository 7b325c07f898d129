/**
 * mailops.cyrus.restoreFolder: "Restore a Folder from This Backup…" on an archive point of a Cyrus host's
 * "Backups" (or {host, archiveId, account?, folder?, to?, uids?, yes?}). Picks one of the folders the point's
 * mailboxes.db dump holds, extracts it from the archive chain for a dry run, shows what will be restored (a
 * modal listing the messages and the new folder), then restores it as a `mailops` task into a NEW folder
 * (cyrusRestore: IMAP CREATE as the admin, copy, reconstruct, count check). The live folder is never touched.
 * The admin password is asked by the task (secret storage, else an input box) and never logged.
 */
import * as vscode from 'vscode';
import { listCyrusArchives } from '../../../core/cyrus/backup';
import { archivedMailboxes, cyrusRestore, type CyrusRestoreResult } from '../../../core/cyrus/restore';
import { UsageError } from '../../../core/errors';
import type { HostContext } from '../../../core/hosts/context';
import type { MailopsTaskDefinition } from '../../tasks/definition';
import { CyrusArchivePointNode } from '../../tree/cyrusBackups/cyrusArchiveNode';
import type { MailopsNode } from '../../tree/node';
import type { CommandDefinition } from '../types';
import { hostNodeOf, isRecord, needConnections, resolveHost, startTask } from '../targets';

/** How many messages the confirmation lists before "… and N more". */
const LISTED = 15;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Run `work` with a cancellable notification; its AbortSignal follows the Cancel button. */
function withCancellableProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    return work(ac.signal).finally(() => sub.dispose());
  });
}

async function pickArchive(ctx: HostContext): Promise<string | undefined> {
  const chains = await withCancellableProgress(vscode.l10n.t('Reading the backups of {0}…', ctx.config.name), (signal) => listCyrusArchives(ctx, signal));
  const points = chains.flatMap((c) => c.points).reverse();
  if (points.length === 0) throw new UsageError(vscode.l10n.t('{0} has no Cyrus file backups yet', ctx.config.name), { hint: vscode.l10n.t('run a backup of the host first') });
  const pick = await vscode.window.showQuickPick(
    points.map((p) => ({ label: p.id, description: `${p.level} · ${p.created}`, id: p.id })),
    { title: vscode.l10n.t('Restore a folder of {0}', ctx.config.name), placeHolder: vscode.l10n.t('From which backup?') },
  );
  return pick?.id;
}

async function pickFolder(ctx: HostContext, archiveId: string): Promise<{ account: string; folder: string } | undefined> {
  const boxes = await withCancellableProgress(vscode.l10n.t('Reading the mailboxes.db dump of {0}…', archiveId), (signal) => archivedMailboxes(ctx, archiveId, signal));
  const items = boxes
    .flatMap((b) => (b.account === null ? [] : [{ label: b.folder, description: b.account, account: b.account, folder: b.folder }]))
    .sort((a, b) => a.account.localeCompare(b.account) || a.folder.localeCompare(b.folder));
  if (items.length === 0) throw new UsageError(vscode.l10n.t('the mailboxes.db dump of {0} lists no user folders', archiveId), { host: ctx.config.name });
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Restore a folder from {0}', archiveId),
    placeHolder: vscode.l10n.t('Which folder? (type to filter by folder or account)'),
    matchOnDescription: true,
  });
  return pick ? { account: pick.account, folder: pick.folder } : undefined;
}

/** The dry run as a modal: the messages (first few) and the new folder. Resolves true to restore. */
async function confirmRestore(plan: CyrusRestoreResult, host: string): Promise<boolean> {
  const lines = plan.messages.slice(0, LISTED).map((m) => `UID ${m.uid} · ${m.date ?? '?'} · ${m.from ?? '?'} · ${m.subject ?? ''}`);
  if (plan.messages.length > LISTED) lines.push(vscode.l10n.t('… and {0} more', plan.messages.length - LISTED));
  const go = vscode.l10n.t('Restore');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Restore {0} messages of "{1}" ({2}) from {3} into the new folder "{4}"?', plan.messages.length, plan.folder, plan.account, plan.archive, plan.target.folder),
    {
      modal: true,
      detail: [
        vscode.l10n.t('Extracted from the archive chain {0} on {1}. The live folder is not touched; the new folder is created as the Cyrus admin and checked after reconstruct.', plan.chain.join(' + '), host),
        '',
        ...lines,
      ].join('\n'),
    },
    go,
  );
  return answer === go;
}

export const restoreCyrusFolder: CommandDefinition = {
  id: 'mailops.cyrus.restoreFolder',
  async run(services, arg) {
    const title = vscode.l10n.t('Restore a Folder from a Backup');
    let host: string | undefined;
    let archiveId: string | undefined;
    if (arg instanceof CyrusArchivePointNode) ({ host, archiveId } = arg.archiveArgs);
    else if (isRecord(arg) && str(arg.host)) {
      host = str(arg.host);
      archiveId = str(arg.archiveId);
    } else host = await resolveHost(services, arg, title);
    if (!host) return undefined;
    const ctx = needConnections(services).get(host);
    archiveId ??= await pickArchive(ctx);
    if (!archiveId) return undefined;

    const given = isRecord(arg) && !(arg instanceof CyrusArchivePointNode) ? arg : {};
    const chosen = str(given.account) && str(given.folder) ? { account: str(given.account)!, folder: str(given.folder)! } : await pickFolder(ctx, archiveId);
    if (!chosen) return undefined;
    const to = str(given.to);
    const uids = Array.isArray(given.uids) ? given.uids.filter((u): u is number => Number.isInteger(u) && (u as number) > 0) : [];
    const archive = archiveId;
    const plan = await withCancellableProgress(vscode.l10n.t('Extracting "{0}" of {1} from {2} for a dry run…', chosen.folder, chosen.account, archive), (signal) =>
      cyrusRestore(ctx, { ...chosen, archiveId: archive, ...(to ? { to } : {}), ...(uids.length ? { uids } : {}), dryRun: true }, undefined, signal),
    );
    if (plan.messages.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" of {1} holds no messages in {2}: nothing to restore.', plan.folder, plan.account, archive));
      return undefined;
    }
    if (given.yes !== true && !(await confirmRestore(plan, host))) return undefined;
    const def: MailopsTaskDefinition = {
      type: 'mailops',
      action: 'restore',
      host,
      account: chosen.account,
      mailbox: chosen.folder,
      source: `archive:${archive}`,
      ...(to ? { to } : {}),
      ...(uids.length ? { uids } : {}),
    };
    return startTask(services, def, hostNodeOf(arg as MailopsNode | undefined) ?? services.hostsProvider.hostNode(host));
  },
};
