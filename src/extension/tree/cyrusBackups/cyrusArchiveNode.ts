/**
 * Items under a Cyrus host's "Backups": one archive chain (its full archive and the incrementals on it) and one
 * archive point, with dates, sizes, levels, and in the tooltip what the point's mailboxes.db dump holds.
 */
import * as vscode from 'vscode';
import type { CyrusArchiveChain, CyrusArchivePoint } from '../../../core/cyrus/backup';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { chainState, chainTreeItem } from '../common/archiveChain';
import { MailopsNode } from '../node';
import type { CyrusBackupsNode } from './cyrusBackupsNode';

/** What mailops.cyrus.restoreFolder takes besides a node: the host and the archive point. */
export interface CyrusArchiveArgs {
  host: string;
  archiveId: string;
}


/** `…/archives/ID.tar.gz` → `…/archives/ID.mailboxes.txt` (the dump written before the tar). */
export function dumpPath(p: CyrusArchivePoint): string {
  return p.path.replace(/\.tar\.gz$/, '.mailboxes.txt');
}

export class CyrusChainNode extends MailopsNode {
  readonly kind = 'cyrusChain';

  constructor(
    readonly backups: CyrusBackupsNode,
    readonly chain: CyrusArchiveChain,
  ) {
    super(backups);
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.chain;
    return chainTreeItem(c, `${this.backups.hostNode.id}/cyrusChain:${c.full.id}`, this.contextValue(chainState(c)));
  }

  override getChildren(): MailopsNode[] {
    return this.chain.points.map((p) => new CyrusArchivePointNode(this, p));
  }
}

export class CyrusArchivePointNode extends MailopsNode {
  readonly kind = 'cyrusArchive';

  constructor(
    readonly chainNode: CyrusChainNode,
    readonly point: CyrusArchivePoint,
  ) {
    super(chainNode);
  }

  get hostName(): string {
    return this.chainNode.backups.hostName;
  }

  get archiveArgs(): CyrusArchiveArgs {
    return { host: this.hostName, archiveId: this.point.id };
  }

  getTreeItem(): vscode.TreeItem {
    const p = this.point;
    const item = new vscode.TreeItem(`${p.level} ${shortTime(p.created)}`, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.chainNode.backups.hostNode.id}/cyrusArchive:${p.id}`;
    item.iconPath = new vscode.ThemeIcon(p.verified ? 'file-zip' : 'warning');
    item.description = `${formatSize(p.bytes)} · ${vscode.l10n.t('{0} mailboxes', p.mailboxes)} · ${p.verified ? vscode.l10n.t('verified') : vscode.l10n.t('NOT verified')}`;
    item.contextValue = this.contextValue(p.level, p.verified ? 'verified' : 'unverified');
    item.tooltip = tooltip(
      'file-zip',
      p.id,
      [
        [vscode.l10n.t('Level'), p.level],
        [vscode.l10n.t('Created'), p.created],
        [vscode.l10n.t('Chain (full archive)'), p.full],
        [vscode.l10n.t('Based on'), p.base],
        [vscode.l10n.t('Size'), `${formatSize(p.bytes)} (${p.bytes} bytes)`],
        [vscode.l10n.t('Message files'), p.messageFiles],
        [vscode.l10n.t('Archive'), p.path],
        [vscode.l10n.t('mailboxes.db dump'), dumpPath(p)],
        [vscode.l10n.t('Mailboxes in the dump'), p.mailboxes],
        [vscode.l10n.t('Config directory'), p.configDirectory],
        ...Object.entries(p.partitions).map(([name, path]) => [vscode.l10n.t('Partition {0}', name), path] as const),
      ],
      p.verified ? undefined : vscode.l10n.t('tar -tzf could not read this archive back when it was made.'),
    );
    return item;
  }
}
