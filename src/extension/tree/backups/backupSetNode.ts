/** Items of "Backups": the mirror, an archive chain, one point of a chain. Each opens the restore preview. */
import * as vscode from 'vscode';
import type { ArchiveChain, ArchivePoint, MirrorInfo } from '../../../core/dovecot/catalogue';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { chainState, chainTreeItem } from '../common/archiveChain';
import { MailopsNode } from '../node';
import type { BackupsNode } from './backupsNode';

/** What mailops.restore.preview takes (src/extension/preview PreviewArgs). */
export interface RestoreSourceArgs {
  host: string;
  account: string;
  source: string;
}

export class MirrorNode extends MailopsNode {
  readonly kind = 'mirror';

  constructor(
    readonly backups: BackupsNode,
    readonly mirror: MirrorInfo,
  ) {
    super(backups);
  }

  get restoreArgs(): RestoreSourceArgs {
    return { host: this.backups.accountNode.hostName, account: this.backups.accountNode.account, source: 'mirror' };
  }

  getTreeItem(): vscode.TreeItem {
    const m = this.mirror;
    const item = new vscode.TreeItem(vscode.l10n.t('Mirror'), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.backups.accountNode.hostNode.id}/account:${this.backups.accountNode.account}/mirror`;
    item.iconPath = new vscode.ThemeIcon(m.stateError ? 'warning' : 'mirror');
    item.description = m.stateMtime ? vscode.l10n.t('state {0}', shortTime(m.stateMtime)) : vscode.l10n.t('no state yet');
    item.contextValue = this.contextValue(m.stateError ? 'unreadable' : m.stateMtime ? 'ok' : 'nostate');
    item.tooltip = tooltip('mirror', vscode.l10n.t('Mirror of {0}', this.backups.accountNode.account), [
      [vscode.l10n.t('Path'), m.path],
      [vscode.l10n.t('Points at'), m.target],
      [vscode.l10n.t('Location'), m.location],
      [vscode.l10n.t('State written'), m.stateMtime],
      [vscode.l10n.t('State SHA-256'), m.stateSha256],
      [vscode.l10n.t('State error'), m.stateError],
      [vscode.l10n.t('Mailboxes in the state'), m.mailboxes.length],
      [vscode.l10n.t('Older mirrors kept'), m.otherMirrors.join(', ')],
    ]);
    item.command = { title: vscode.l10n.t('Preview Restore'), command: 'mailops.restore.preview', arguments: [this.restoreArgs] };
    return item;
  }
}


export class ArchiveChainNode extends MailopsNode {
  readonly kind = 'chain';

  constructor(
    readonly backups: BackupsNode,
    readonly chain: ArchiveChain,
  ) {
    super(backups);
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.chain;
    return chainTreeItem(c, `${this.backups.accountNode.hostNode.id}/account:${this.backups.accountNode.account}/chain:${c.full.id}`, this.contextValue(chainState(c)));
  }

  override getChildren(): MailopsNode[] {
    return this.chain.points.map((p) => new ArchivePointNode(this, p));
  }
}

export class ArchivePointNode extends MailopsNode {
  readonly kind = 'archive';

  constructor(
    readonly chainNode: ArchiveChainNode,
    readonly point: ArchivePoint,
  ) {
    super(chainNode);
  }

  get restoreArgs(): RestoreSourceArgs {
    const a = this.chainNode.backups.accountNode;
    return { host: a.hostName, account: a.account, source: `archive:${this.point.id}` };
  }

  getTreeItem(): vscode.TreeItem {
    const p = this.point;
    const item = new vscode.TreeItem(`${p.level} ${shortTime(p.created)}`, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.chainNode.backups.accountNode.hostNode.id}/account:${this.chainNode.backups.accountNode.account}/archive:${p.id}`;
    item.iconPath = new vscode.ThemeIcon(p.verified ? 'file-zip' : 'warning');
    item.description = `${formatSize(p.bytes)} · ${p.verified ? vscode.l10n.t('verified') : vscode.l10n.t('NOT verified')}`;
    item.contextValue = this.contextValue(p.level, p.verified ? 'verified' : 'unverified');
    item.tooltip = tooltip('file-zip', p.id, [
      [vscode.l10n.t('Level'), p.level],
      [vscode.l10n.t('Created'), p.created],
      [vscode.l10n.t('Based on'), p.base],
      [vscode.l10n.t('Made from'), p.source],
      [vscode.l10n.t('Message files'), p.messages],
      [vscode.l10n.t('Size'), `${formatSize(p.bytes)} (${p.bytes} bytes)`],
      [vscode.l10n.t('Path'), p.path],
    ]);
    item.command = { title: vscode.l10n.t('Preview Restore'), command: 'mailops.restore.preview', arguments: [this.restoreArgs] };
    return item;
  }
}
