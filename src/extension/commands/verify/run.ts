/** mailops.verify.run: compare an account with its backup (mirror, or source "archive:ID") as a task. */
import * as vscode from 'vscode';
import type { MailopsNode } from '../../tree/node';
import { ArchivePointNode } from '../../tree/backups/backupSetNode';
import type { CommandDefinition } from '../types';
import { isRecord, resolveAccount, startTask } from '../targets';

export const runVerifyCommand: CommandDefinition = {
  id: 'mailops.verify.run',
  async run(services, arg) {
    const target = await resolveAccount(services, arg, vscode.l10n.t('Verify Backup'));
    if (!target) return undefined;
    const node = arg as MailopsNode | undefined;
    const source = node instanceof ArchivePointNode ? node.restoreArgs.source : isRecord(arg) && typeof arg.source === 'string' ? arg.source : 'mirror';
    return startTask(services, { type: 'mailops', action: 'verify', host: target.host, account: target.account, source });
  },
};
