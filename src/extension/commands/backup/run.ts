/**
 * mailops.backup.run: a backup as a `mailops` task. Dovecot: one account ({host, account, kind?}; from an
 * account's context menu, the log viewer's "Back up again", or the palette with quick picks), kind mirror
 * (default) or full/diff/incr for mirror + tar archive. Cyrus: the whole host ({host, kind?}; from the host or
 * its "Backups" item, or the palette), kind full or incr (asked when not given).
 */
import * as vscode from 'vscode';
import { BACKUP_KINDS } from '../../../core/dovecot/backup';
import type { MailopsNode } from '../../tree/node';
import type { CommandDefinition, Services } from '../types';
import { accountNodeOf, hostNodeOf, isRecord, resolveAccount, resolveHost, startTask } from '../targets';

/** The server kind of a configured host as the tree knows it (setting, or detected on expansion). */
function serverOf(services: Services, host: string): 'dovecot' | 'cyrus' | undefined {
  return services.hostsProvider.hostNode(host)?.serverKind;
}

/** A Cyrus host's backup: full or incr (asked), host-wide. */
async function runCyrusBackup(services: Services, host: string, arg: unknown): Promise<vscode.TaskExecution | undefined> {
  let kind = isRecord(arg) && (arg.kind === 'full' || arg.kind === 'incr') ? arg.kind : undefined;
  kind ??= (
    await vscode.window.showQuickPick(
      [
        { label: 'incr', description: vscode.l10n.t('changes since the chain\'s last point (a full archive when there is no chain yet)') },
        { label: 'full', description: vscode.l10n.t('a new chain: the whole spool and the config directory') },
      ],
      { title: vscode.l10n.t('Back up {0} (Cyrus, host-wide)', host), placeHolder: vscode.l10n.t('Which level?') },
    )
  )?.label;
  if (!kind) return undefined;
  const node = services.hostsProvider.hostNode(host);
  return startTask(services, { type: 'mailops', action: 'backup', host, kind }, node);
}

export const runBackupCommand: CommandDefinition = {
  id: 'mailops.backup.run',
  async run(services, arg) {
    // A host (node or {host} without an account) that runs Cyrus: a host-wide backup.
    const onHost = !accountNodeOf(arg as MailopsNode | undefined) && !(isRecord(arg) && typeof arg.account === 'string');
    if (onHost) {
      const host = hostNodeOf(arg as MailopsNode | undefined)?.host.name ?? (await resolveHost(services, arg, vscode.l10n.t('Run Backup')));
      if (!host) return undefined;
      if (serverOf(services, host) === 'cyrus') return runCyrusBackup(services, host, arg);
      arg = { host, ...(isRecord(arg) && typeof arg.kind === 'string' ? { kind: arg.kind } : {}) };
    }
    const target = await resolveAccount(services, arg, vscode.l10n.t('Run Backup'));
    if (!target) return undefined;
    const kind = isRecord(arg) && typeof arg.kind === 'string' && (BACKUP_KINDS as readonly string[]).includes(arg.kind) ? arg.kind : undefined;
    const node = accountNodeOf(arg as MailopsNode | undefined) ?? services.hostsProvider.hostNode(target.host);
    return startTask(services, { type: 'mailops', action: kind && kind !== 'mirror' ? 'archive' : 'backup', host: target.host, account: target.account, ...(kind ? { kind } : {}) }, node);
  },
};

/** mailops.archive.run: mirror, then a tar archive (asks full / diff / incr). */
export const runArchiveCommand: CommandDefinition = {
  id: 'mailops.archive.run',
  async run(services, arg) {
    const target = await resolveAccount(services, arg, vscode.l10n.t('Run Archive'));
    if (!target) return undefined;
    let kind = isRecord(arg) && (arg.kind === 'full' || arg.kind === 'diff' || arg.kind === 'incr') ? arg.kind : undefined;
    kind ??= (
      await vscode.window.showQuickPick(
        [
          { label: 'full', description: vscode.l10n.t('a new chain: every message file') },
          { label: 'diff', description: vscode.l10n.t('changes since the chain\'s full archive') },
          { label: 'incr', description: vscode.l10n.t('changes since the chain\'s last point') },
        ],
        { title: vscode.l10n.t('Archive {0}', target.account), placeHolder: vscode.l10n.t('Which level?') },
      )
    )?.label;
    if (!kind) return undefined;
    const node = accountNodeOf(arg as MailopsNode | undefined) ?? services.hostsProvider.hostNode(target.host);
    return startTask(services, { type: 'mailops', action: 'archive', host: target.host, account: target.account, kind }, node);
  },
};
