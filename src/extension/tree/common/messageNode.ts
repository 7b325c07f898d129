/** A line of information in a tree (an invalid setting, an empty result), optionally with a command. */
import * as vscode from 'vscode';
import { MailopsNode } from '../node';

export class MessageNode extends MailopsNode {
  readonly kind = 'message';

  constructor(
    readonly label: string,
    readonly options: { icon?: string; tooltip?: string; command?: vscode.Command; state?: string } = {},
    parent?: MailopsNode,
  ) {
    super(parent);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(this.options.icon ?? 'info');
    item.tooltip = this.options.tooltip;
    item.command = this.options.command;
    item.contextValue = this.options.state ? this.contextValue(this.options.state) : this.contextValue();
    return item;
  }
}
