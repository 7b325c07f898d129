/**
 * mailops.backup.run: back up a Dovecot account as a `mailops` task ({host, account, kind?}; from an account's
 * context menu, the log viewer's "Back up again", or the palette with quick picks). kind: mirror (default),
 * or full/diff/incr for mirror + tar archive.
 */
import * as vscode from 'vscode';
import { BACKUP_KINDS } from '../../../core/dovecot/backup';
import type { MailopsNode } from '../../tree/node';
import type { CommandDefinition } from '../types';
import { accountNodeOf, isRecord, resolveAccount, startTask } from '../targets';

export const runBackupCommand: CommandDefinition = {
  id: 'mailops.backup.run',
  async run(services, arg) {
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
    let kind = isRecord(arg) && typeof arg.kind === 'string' ? arg.kind : undefined;
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
