/**
 * mailops.restore.run: restore mail as a task, without the preview. Dovecot: from the mirror, an archive
 * point or lazy_expunge's mailbox (source mirror | archive:ID | expunged) into the original folders (or a
 * new folder `to`); Cyrus: unexpunge of a folder. From a tree item or {host, account, source?, mailbox?, to?,
 * dryRun?, yes?}. Asks first (modal: Restore / Dry Run) unless `yes`.
 */
import * as vscode from 'vscode';
import { ArchivePointNode, MirrorNode } from '../../tree/backups/backupSetNode';
import type { MailopsNode } from '../../tree/node';
import type { MailopsTaskDefinition } from '../../tasks/definition';
import type { CommandDefinition } from '../types';
import { accountNodeOf, confirmDestructive, isRecord, resolveAccount, startTask } from '../targets';

export const runRestoreCommand: CommandDefinition = {
  id: 'mailops.restore.run',
  async run(services, arg) {
    const target = await resolveAccount(services, arg, vscode.l10n.t('Restore'));
    if (!target) return undefined;
    const node = arg as MailopsNode | undefined;
    const source =
      node instanceof MirrorNode || node instanceof ArchivePointNode
        ? node.restoreArgs.source
        : isRecord(arg) && typeof arg.source === 'string'
          ? arg.source
          : node?.kind === 'expunged'
            ? 'expunged'
            : undefined;
    const server = services.connections?.hosts().find((h) => h.name === target.host)?.server;
    const def: MailopsTaskDefinition = { type: 'mailops', action: 'restore', host: target.host, account: target.account, source: source ?? 'expunged' };
    if (isRecord(arg)) {
      if (typeof arg.mailbox === 'string') def.mailbox = arg.mailbox;
      if (typeof arg.to === 'string') def.to = arg.to;
      if (arg.dryRun === true) def.dryRun = true;
      if (server === 'cyrus') def.all = true;
    }
    if (server === 'cyrus' && !def.mailbox) {
      void vscode.window.showInformationMessage(vscode.l10n.t('On Cyrus, restore expunged messages from "Expunged" of the account (per folder or message).'));
      return undefined;
    }
    if (!def.dryRun && !(isRecord(arg) && arg.yes === true)) {
      const choice = await confirmDestructive(
        vscode.l10n.t('Restore mail of {0} on {1} from {2}?', target.account, target.host, def.source ?? ''),
        def.to
          ? vscode.l10n.t('Messages not found live are copied into the new folder "{0}", flagged $Restored. A dry run lists them and changes nothing.', def.to)
          : vscode.l10n.t('Messages not found live go back into their original folders, flagged $Restored. A dry run lists them and changes nothing.'),
        vscode.l10n.t('Restore'),
      );
      if (!choice) return undefined;
      if (choice === 'dry-run') def.dryRun = true;
    }
    return startTask(services, def, accountNodeOf(node) ?? services.hostsProvider.hostNode(target.host));
  },
};
