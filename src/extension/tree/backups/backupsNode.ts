/**
 * "Backups" of a Dovecot account: the mirror (with the time its dsync state was written) and the archive
 * chains (full, then diff/incr points) with their dates and sizes, read in one remote call (readCatalogue).
 */
import * as vscode from 'vscode';
import { readCatalogue } from '../../../core/dovecot/catalogue';
import type { AccountNode } from '../accounts/accountNode';
import { MessageNode } from '../common/messageNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';
import { ArchiveChainNode, MirrorNode } from './backupSetNode';

export class BackupsNode extends LoadingNode {
  readonly kind = 'backups';

  constructor(
    readonly accountNode: AccountNode,
    private readonly services: TreeServices,
  ) {
    super(accountNode);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Backups'), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.accountNode.hostNode.id}/account:${this.accountNode.account}/backups`;
    item.iconPath = new vscode.ThemeIcon('archive');
    item.contextValue = this.contextValue(this.accountNode.server);
    item.tooltip = vscode.l10n.t('The doveadm backup mirror and the tar archive chains of {0} on {1}', this.accountNode.account, this.accountNode.hostName);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not read the backups of {0}', this.accountNode.account), async () => {
      const ctx = this.services.connections.get(this.accountNode.hostName);
      const cat = await readCatalogue(ctx, this.accountNode.account);
      const out: MailopsNode[] = [];
      if (cat.mirror) out.push(new MirrorNode(this, cat.mirror));
      else out.push(new MessageNode(vscode.l10n.t('No mirror yet: run a backup'), { icon: 'info', state: 'nomirror', command: { title: vscode.l10n.t('Run Backup'), command: 'mailops.backup.run', arguments: [{ host: this.accountNode.hostName, account: this.accountNode.account }] } }, this));
      for (const chain of [...cat.chains].reverse()) out.push(new ArchiveChainNode(this, chain));
      if (cat.chains.length === 0) out.push(new MessageNode(vscode.l10n.t('No archives yet'), { icon: 'info', state: 'noarchives' }, this));
      return out;
    });
  }
}
