/**
 * mailops.tree.previewRestore: open the restore preview (mailops.restore.preview, the colleague's webview)
 * for a tree item: the mirror, an archive point, or "Expunged" of an account.
 */
import * as vscode from 'vscode';
import { ArchivePointNode, MirrorNode } from '../../tree/backups/backupSetNode';
import type { MailopsNode } from '../../tree/node';
import type { CommandDefinition } from '../types';
import { accountNodeOf } from '../targets';

export const previewRestore: CommandDefinition = {
  id: 'mailops.tree.previewRestore',
  async run(_services, arg) {
    const node = arg as MailopsNode | undefined;
    if (node instanceof MirrorNode || node instanceof ArchivePointNode) return vscode.commands.executeCommand('mailops.restore.preview', node.restoreArgs);
    const account = accountNodeOf(node);
    if (!account) return undefined;
    const source = node?.kind === 'expunged' ? 'expunged' : 'mirror';
    return vscode.commands.executeCommand('mailops.restore.preview', { host: account.hostName, account: account.account, source, engine: account.server });
  },
};
