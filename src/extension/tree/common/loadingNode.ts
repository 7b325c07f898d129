/**
 * A node whose children come from the mail host: loaded once on first expand, kept until the node is
 * refreshed (invalidate), and shown as one error item (with a retry) when loading fails.
 */
import { loadOrError } from './errorNode';
import { MailopsNode } from '../node';

export abstract class LoadingNode extends MailopsNode {
  private loaded: Promise<MailopsNode[]> | undefined;

  /** The children, loaded at most once until the next invalidate(); `what` names the failure item. */
  protected cachedChildren(what: string, load: () => Promise<MailopsNode[]>): Promise<MailopsNode[]> {
    this.loaded ??= loadOrError(this, what, load);
    return this.loaded;
  }

  override invalidate(): void {
    this.loaded = undefined;
  }
}
