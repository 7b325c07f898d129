/**
 * "Deleted folders" of a Cyrus host (delete_mode: delayed): the DELETED.* entries of mailboxes.db with the
 * original name and the deletion time. Each offers "Undelete" (mailops.undelete.run).
 */
import * as vscode from 'vscode';
import { listDeleted, type DeletedFolder } from '../../../core/cyrus/deleted';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { MessageNode } from '../common/messageNode';
import type { HostNode } from '../hosts/hostNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';

export class DeletedFoldersNode extends LoadingNode {
  readonly kind = 'deletedFolders';

  constructor(
    readonly hostNode: HostNode,
    private readonly services: TreeServices,
  ) {
    super(hostNode);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Deleted folders'), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.hostNode.id}/deleted`;
    item.iconPath = new vscode.ThemeIcon('trash');
    item.contextValue = this.contextValue('cyrus');
    item.tooltip = vscode.l10n.t('Folders deleted on {0} that Cyrus still keeps (delete_mode: delayed) until cyr_expire -D removes them', this.hostNode.host.name);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not list the deleted folders of {0}', this.hostNode.host.name), async () => {
      const list = await listDeleted(this.services.connections.get(this.hostNode.host.name));
      if (list.length === 0) return [new MessageNode(vscode.l10n.t('No deleted folders'), { icon: 'info', state: 'empty' }, this)];
      return list.map((d) => new DeletedFolderNode(this, d));
    });
  }
}

export class DeletedFolderNode extends MailopsNode {
  readonly kind = 'deletedFolder';

  constructor(
    readonly owner: DeletedFoldersNode,
    readonly folder: DeletedFolder,
  ) {
    super(owner);
  }

  getTreeItem(): vscode.TreeItem {
    const d = this.folder;
    const item = new vscode.TreeItem(`${d.account ?? vscode.l10n.t('(shared)')}: ${d.originalFolder}`, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.owner.hostNode.id}/deleted/${d.internal}`;
    item.iconPath = new vscode.ThemeIcon('folder-library');
    item.description = vscode.l10n.t('deleted {0} · {1} messages', shortTime(d.deletedAt), d.messages ?? '?') + (d.messages === null && d.countProblem ? ` · ${d.countProblem}` : '');
    item.contextValue = this.contextValue('cyrus', d.originalExists ? 'nameInUse' : 'restorable');
    item.tooltip = tooltip('trash', d.originalFolder, [
      [vscode.l10n.t('Account'), d.account],
      [vscode.l10n.t('Deleted'), d.deletedAt],
      [vscode.l10n.t('Messages'), d.messages ?? (d.countProblem ? vscode.l10n.t('? ({0})', d.countProblem) : null)],
      [vscode.l10n.t('Size'), d.size === null ? null : formatSize(d.size)],
      [vscode.l10n.t('Kept as'), d.toolName],
    ], d.originalExists ? vscode.l10n.t('A folder of that name exists again: undelete asks for another name.') : undefined);
    return item;
  }
}
