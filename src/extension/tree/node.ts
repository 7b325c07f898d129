/**
 * The base of every item in Mailops trees. One class per kind of item, one file per class
 * (tree/hosts/hostNode.ts, tree/accounts/accountNode.ts, tree/folders/folderNode.ts …): a node knows how it
 * looks and what is under it; providers only hold the roots and fire change events.
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

  /** Forget cached children (the provider calls this before redrawing the node). */
  invalidate(): void {}

  /** The contextValue that `view/item/context` menus match with `viewItem == …` or `=~ /^mailops\.host\b/`. */
  protected contextValue(...state: string[]): string {
    return ['mailops', this.kind, ...state].join('.');
  }
}
