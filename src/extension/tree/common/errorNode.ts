/**
 * A subtree that could not be loaded: one item with the first line of the error, a tooltip with everything
 * the operator needs (host, command, exit code, meaning, next step), and a click that retries. The rest of
 * the tree and the extension keep working.
 */
import * as vscode from 'vscode';
import { MailopsError } from '../../../core/errors';
import { getLog } from '../../log';
import { codeSpan } from './markdown';
import { MailopsNode } from '../node';

export class ErrorNode extends MailopsNode {
  readonly kind = 'error';

  constructor(
    readonly what: string,
    readonly error: unknown,
    parent?: MailopsNode,
  ) {
    super(parent);
    getLog().error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }

  get message(): string {
    return this.error instanceof Error ? this.error.message : String(this.error);
  }

  getTreeItem(): vscode.TreeItem {
    const first = this.message.split('\n')[0] ?? '';
    const item = new vscode.TreeItem(this.what, vscode.TreeItemCollapsibleState.None);
    item.description = first;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.contextValue = this.contextValue();
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('$(error) **').appendText(this.what).appendMarkdown('**\n\n');
    const e = this.error;
    if (e instanceof MailopsError) {
      md.appendText(first).appendMarkdown('\n\n');
      const rows: [string, string | undefined][] = [
        [vscode.l10n.t('Host'), e.host],
        [vscode.l10n.t('Command'), e.command],
        [vscode.l10n.t('Exit code'), e.exitCode === undefined || e.exitCode === null ? (e.signal ?? undefined) : String(e.exitCode)],
        [vscode.l10n.t('Meaning'), e.meaning],
        [vscode.l10n.t('Next'), e.hint],
      ];
      for (const [k, v] of rows) {
        if (!v) continue;
        md.appendMarkdown('- ').appendText(k).appendMarkdown(': ');
        if (k === vscode.l10n.t('Command')) md.appendMarkdown(codeSpan(v));
        else md.appendText(v);
        md.appendMarkdown('\n');
      }
      if (e.stderr) md.appendMarkdown('\n').appendCodeblock(e.stderr, 'text');
    } else {
      md.appendCodeblock(this.message, 'text');
    }
    md.appendMarkdown('\n\n').appendText(vscode.l10n.t('Click to try again.'));
    item.tooltip = md;
    item.accessibilityInformation = { label: `${this.what}: ${this.message}` };
    item.command = { title: vscode.l10n.t('Try Again'), command: 'mailops.tree.refreshNode', arguments: [this.parent] };
    return item;
  }
}

/** Load children, turning a failure into one ErrorNode (never a rejected promise: VS Code would show a bare toast). */
export async function loadOrError(parent: MailopsNode, what: string, load: () => Promise<MailopsNode[]>): Promise<MailopsNode[]> {
  try {
    return await load();
  } catch (error) {
    return [new ErrorNode(what, error, parent)];
  }
}
