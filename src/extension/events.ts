/**
 * State changes the editor's parts publish and listen to, so that what one part changed shows everywhere without
 * a manual refresh. Today: a restore into an account (the restore preview fires it; every open preview of that
 * account reloads its plan). The tree subscribes the same way:
 *
 *   context.subscriptions.push(mailopsEvents.onDidRestore((e) => refresh(e.host, e.account, e.folders)));
 */
import * as vscode from 'vscode';
import type { PreviewEngine } from '../shared/previewProtocol';

/** A restore (or unexpunge) ran against an account: its live folders may hold new mail. */
export interface RestoredEvent {
  /** Configured host name. */
  readonly host: string;
  readonly account: string;
  readonly engine: PreviewEngine;
  /** What was restored from: `mirror`, `archive:ID`, `expunged`. */
  readonly source: string;
  /** The live folders that received mail (as the engine planned them). */
  readonly folders: readonly string[];
  /** Who restored: lets the publisher skip its own event (e.g. the preview panel's key). */
  readonly by?: string;
}

export class MailopsEvents implements vscode.Disposable {
  private readonly restoredEmitter = new vscode.EventEmitter<RestoredEvent>();
  /** Fired after a restore ran (also when it failed part way: the account may have changed). */
  readonly onDidRestore: vscode.Event<RestoredEvent> = this.restoredEmitter.event;

  fireRestored(e: RestoredEvent): void {
    this.restoredEmitter.fire(e);
  }

  dispose(): void {
    this.restoredEmitter.dispose();
  }
}

/** The extension's one event hub (module-wide, like the log channel: import it, don't construct another). */
export const mailopsEvents = new MailopsEvents();
