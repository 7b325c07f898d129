/** "Show more…" at the end of a paged list: clicking shows the next page of its parent. */
import * as vscode from 'vscode';
import { MailopsNode } from '../node';

export interface Pageable extends MailopsNode {
  showMore(): void;
}

export class MoreNode extends MailopsNode {
  readonly kind = 'more';

  constructor(
    readonly remaining: number,
    readonly owner: Pageable,
    readonly noun: string,
  ) {
    super(owner);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Show more…'), vscode.TreeItemCollapsibleState.None);
    item.description = vscode.l10n.t('{0} more {1}', this.remaining, this.noun);
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = this.contextValue();
    item.command = { title: vscode.l10n.t('Show More'), command: 'mailops.tree.showMore', arguments: [this] };
    return item;
  }
}
