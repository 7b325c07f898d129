/**
 * The tree item of one archive chain (a full archive and the points built on it), for Dovecot accounts and
 * Cyrus hosts alike: both catalogues give a chain this shape.
 */
import * as vscode from 'vscode';
import { formatSize, shortTime, tooltip } from './markdown';

export interface ChainShape {
  full: { id: string; created: string; path: string };
  points: ReadonlyArray<{ id: string; level: string; created: string; bytes: number; verified: boolean }>;
}

export function chainBytes(chain: ChainShape): number {
  return chain.points.reduce((n, p) => n + p.bytes, 0);
}

export function chainTreeItem(chain: ChainShape, id: string, contextValue: string): vscode.TreeItem {
  const item = new vscode.TreeItem(vscode.l10n.t('Chain from {0}', shortTime(chain.full.created)), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = id;
  item.iconPath = new vscode.ThemeIcon('package');
  const bytes = chainBytes(chain);
  const last = chain.points[chain.points.length - 1];
  item.description = vscode.l10n.t('{0} points · {1} · last {2}', chain.points.length, formatSize(bytes), shortTime(last?.created));
  item.contextValue = contextValue;
  item.tooltip = tooltip('package', chain.full.id, [
    [vscode.l10n.t('Full archive'), chain.full.path],
    [vscode.l10n.t('Points'), chain.points.map((p) => `${p.level} ${p.id}`).join(', ')],
    [vscode.l10n.t('Total size'), `${formatSize(bytes)} (${bytes} bytes)`],
  ]);
  return item;
}

/** The chain's context-value state: every point verified or not. */
export function chainState(chain: ChainShape): 'verified' | 'unverified' {
  return chain.points.every((p) => p.verified) ? 'verified' : 'unverified';
}
