/**
 * mailops.unexpunge.run (Cyrus): bring expunged messages back into their folder as a task. From an expunged
 * message (one UID), an expunged folder group (all of it), or {host, account, mailbox, uids | all, dryRun?,
 * yes?}. Asks first (modal: Restore / Dry Run) unless `yes`.
 */
import * as vscode from 'vscode';
import { ExpungedFolderNode, ExpungedRecordNode } from '../../tree/expunged/expungedNode';
import type { MailopsTaskDefinition } from '../../tasks/definition';
import type { CommandDefinition } from '../types';
import { confirmDestructive, isRecord, startTask } from '../targets';

export const runUnexpungeCommand: CommandDefinition = {
  id: 'mailops.unexpunge.run',
  async run(services, arg) {
    let def: MailopsTaskDefinition | undefined;
    let refresh;
    if (arg instanceof ExpungedRecordNode) {
      const a = arg.account;
      def = { type: 'mailops', action: 'unexpunge', host: a.hostName, account: a.account, mailbox: arg.item.folder, uids: [arg.item.record.uid] };
      refresh = a;
    } else if (arg instanceof ExpungedFolderNode) {
      const a = arg.expunged.accountNode;
      def = { type: 'mailops', action: 'unexpunge', host: a.hostName, account: a.account, mailbox: arg.folder, all: true };
      refresh = a;
    } else if (isRecord(arg) && typeof arg.host === 'string' && typeof arg.account === 'string' && typeof arg.mailbox === 'string') {
      const uids = Array.isArray(arg.uids) ? arg.uids.filter((u): u is number => typeof u === 'number') : undefined;
      def = { type: 'mailops', action: 'unexpunge', host: arg.host, account: arg.account, mailbox: arg.mailbox, ...(uids?.length ? { uids } : { all: true }), ...(arg.dryRun === true ? { dryRun: true } : {}) };
      refresh = services.hostsProvider.hostNode(arg.host);
    }
    if (!def) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Pick an expunged message or folder under "Expunged" of a Cyrus account in the Mailops view.'));
      return undefined;
    }
    if (!def.dryRun && !(isRecord(arg) && arg.yes === true)) {
      const what = def.uids ? vscode.l10n.t('{0} message(s)', def.uids.length) : vscode.l10n.t('every expunged message');
      const choice = await confirmDestructive(
        vscode.l10n.t('Restore {0} into {1} of {2} on {3}?', what, def.mailbox ?? '', def.account ?? '', def.host),
        vscode.l10n.t('unexpunge brings them back with new UIDs and the $Restored flag. A dry run lists them and changes nothing.'),
        vscode.l10n.t('Restore'),
      );
      if (!choice) return undefined;
      if (choice === 'dry-run') def.dryRun = true;
    }
    return startTask(services, def, refresh);
  },
};
