/**
 * The base of every item in Mailops trees. One class per kind of item, one file per class
 * (tree/hosts/hostNode.ts, later tree/accounts/…, tree/folders/…): a node knows how it looks and what is
 * under it; providers only hold the roots and fire change events.
 */
import type * as vscode from 'vscode';

export abstract class MailopsNode {
  /** The kind of item; the first part of its contextValue (`mailops.<kind>[.<state>]`). */
  abstract readonly kind: string;

  constructor(readonly parent?: MailopsNode) {}

  abstract getTreeItem(): vscode.TreeItem | Thenable<vscode.TreeItem>;

  getChildren(): vscode.ProviderResult<MailopsNode[]> {
    return [];
  }

  /** The contextValue that `view/item/context` menus match with `viewItem == …` or `=~ /^mailops\.host\b/`. */
  protected contextValue(...state: string[]): string {
    return ['mailops', this.kind, ...state].join('.');
  }
}
