/**
 * mailops.undelete.run (Cyrus): bring a deleted folder back (IMAP RENAME as the admin) as a task. From a
 * "Deleted folders" item or {host, account, name, to?, dryRun?, yes?}. Never overwrites: when the name is
 * in use again, asks for another one. Asks first (modal: Undelete / Dry Run) unless `yes`.
 */
import * as vscode from 'vscode';
import { DeletedFolderNode } from '../../tree/deleted/deletedFoldersNode';
import type { MailopsTaskDefinition } from '../../tasks/definition';
import type { CommandDefinition } from '../types';
import { confirmDestructive, isRecord, startTask } from '../targets';

export const runUndeleteCommand: CommandDefinition = {
  id: 'mailops.undelete.run',
  async run(services, arg) {
    let def: MailopsTaskDefinition | undefined;
    let refresh;
    if (arg instanceof DeletedFolderNode) {
      const d = arg.folder;
      if (!d.account) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Shared folders are undeleted with the CLI: mailops undelete'));
        return undefined;
      }
      def = { type: 'mailops', action: 'undelete', host: arg.owner.hostNode.host.name, account: d.account, name: d.originalFolder };
      if (d.originalExists) {
        const to = await vscode.window.showInputBox({
          title: vscode.l10n.t('Undelete {0}', d.originalFolder),
          prompt: vscode.l10n.t('A folder named "{0}" exists again: restore under another name', d.originalFolder),
          value: `${d.originalFolder} (restored)`,
          ignoreFocusOut: true,
        });
        if (!to) return undefined;
        def.to = to;
      }
      refresh = arg.owner.hostNode;
    } else if (isRecord(arg) && typeof arg.host === 'string' && typeof arg.account === 'string' && typeof arg.name === 'string') {
      def = { type: 'mailops', action: 'undelete', host: arg.host, account: arg.account, name: arg.name, ...(typeof arg.to === 'string' ? { to: arg.to } : {}), ...(arg.dryRun === true ? { dryRun: true } : {}) };
      refresh = services.hostsProvider.hostNode(arg.host);
    }
    if (!def) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Pick a folder under "Deleted folders" of a Cyrus host in the Mailops view.'));
      return undefined;
    }
    if (!def.dryRun && !(isRecord(arg) && arg.yes === true)) {
      const choice = await confirmDestructive(
        vscode.l10n.t('Undelete "{0}" of {1} on {2}?', def.name ?? '', def.account ?? '', def.host),
        vscode.l10n.t('The folder is renamed back to "{0}" as the Cyrus admin. A dry run checks it and changes nothing.', def.to ?? def.name ?? ''),
        vscode.l10n.t('Undelete'),
      );
      if (!choice) return undefined;
      if (choice === 'dry-run') def.dryRun = true;
    }
    return startTask(services, def, refresh);
  },
};
