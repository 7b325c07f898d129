/**
 * "Backups" of a Cyrus host: the archive chains of its host-wide file backups (a full archive, then the
 * incrementals on it), newest chain first, read in one remote call (listCyrusArchives reads every .meta file).
 * Each archive point offers "Restore a Folder from This Backup…" (mailops.cyrus.restoreFolder).
 */
import * as vscode from 'vscode';
import { listCyrusArchives } from '../../../core/cyrus/backup';
import { cyrusLayout } from '../../../core/backup/layout';
import { MessageNode } from '../common/messageNode';
import type { HostNode } from '../hosts/hostNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';
import { CyrusChainNode } from './cyrusArchiveNode';

export class CyrusBackupsNode extends LoadingNode {
  readonly kind = 'backups';

  constructor(
    readonly hostNode: HostNode,
    private readonly services: TreeServices,
  ) {
    super(hostNode);
  }

  get hostName(): string {
    return this.hostNode.host.name;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Backups'), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.hostNode.id}/backups`;
    item.iconPath = new vscode.ThemeIcon('archive');
    item.contextValue = this.contextValue('cyrus');
    item.tooltip = vscode.l10n.t('The file backups of {0} (mailboxes.db dump + tar of the partitions and the config directory) in {1}', this.hostName, cyrusLayout(this.hostNode.host).archives);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not read the backups of {0}', this.hostName), async () => {
      const chains = await listCyrusArchives(this.services.connections.get(this.hostName));
      if (chains.length === 0) {
        return [
          new MessageNode(
            vscode.l10n.t('No backups yet: run a backup'),
            { icon: 'info', state: 'noarchives', command: { title: vscode.l10n.t('Run Backup'), command: 'mailops.backup.run', arguments: [{ host: this.hostName }] } },
            this,
          ),
        ];
      }
      return [...chains].reverse().map((c) => new CyrusChainNode(this, c));
    });
  }
}
