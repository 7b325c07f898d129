/**
 * The restore preview: command `mailops.restore.preview` (invoked from the tree with {host, account, source,
 * engine?}; hidden from the palette) and the serializer that brings the panel back after a window reload.
 * extension.ts calls registerPreview once.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { HostContext } from '../../core/hosts/context';
import { PREVIEW_VIEW_TYPE, isPreviewOrigin, isPreviewViewState, type PreviewEngine, type PreviewOrigin } from '../../shared/previewProtocol';
import { readHostsSetting } from '../hosts/settings';
import { getLog, logError } from '../log';
import { createHostContexts, type HostContexts } from '../logs/hosts';
import type { PreviewSourceFactory } from './dataSource';
import type { MailopsEvents } from '../events';
import { RestorePreviewPanel, type PreviewTaskRunner } from './panel';
import { engineSources } from './sources';

export const PREVIEW_COMMAND = 'mailops.restore.preview';

export interface PreviewDeps {
  /** A HostContext (config + pooled transport) for a configured host name. */
  readonly hostContext?: (host: string) => HostContext | Promise<HostContext>;
  /** Replaces the engine-backed sources (tests). */
  readonly sources?: PreviewSourceFactory;
  /** Runs confirmed restores as `mailops` tasks (MailopsTasks); without it they run in place. */
  readonly tasks?: PreviewTaskRunner;
  /** Where restores are published and heard (default: the extension's one hub, events.ts). */
  readonly events?: MailopsEvents;
}

/** What the tree passes: engine is taken from the host's `server` setting when omitted. */
export interface PreviewArgs {
  readonly host: string;
  readonly account: string;
  readonly source: string;
  readonly engine?: PreviewEngine;
}

function resolveOrigin(args: unknown): PreviewOrigin {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Partial<Record<keyof PreviewArgs, unknown>>;
  let engine = a.engine;
  if (engine === undefined && typeof a.host === 'string') {
    const server = readHostsSetting().hosts.find((h) => h.name === a.host)?.server;
    if (server === 'dovecot' || server === 'cyrus') engine = server;
  }
  const origin = { engine, host: a.host, account: a.account, source: a.source };
  if (!isPreviewOrigin(origin)) {
    throw new UsageError(vscode.l10n.t('The restore preview needs a host, an account, a source and a known server kind (Dovecot or Cyrus).'), {
      hint: vscode.l10n.t('Open it from an account in the Mailops view; for a host with server "detect", set its server kind.'),
    });
  }
  return origin;
}

export function registerPreview(context: vscode.ExtensionContext, deps: PreviewDeps = {}): vscode.Disposable {
  // TODO(skeleton): share one HostContexts (one transport pool) between the views and pass it as deps.hostContext.
  let own: HostContexts | undefined;
  const hostContext = deps.hostContext ?? ((host: string): HostContext => (own ??= createHostContexts(context)).get(host));
  const sources: PreviewSourceFactory = deps.sources ?? engineSources(hostContext);
  const panelOptions = { tasks: deps.tasks, events: deps.events };

  const command = vscode.commands.registerCommand(PREVIEW_COMMAND, async (args: unknown) => {
    try {
      const origin = resolveOrigin(args);
      return await RestorePreviewPanel.show(context.extensionUri, origin, () => sources(origin), panelOptions);
    } catch (error) {
      logError(PREVIEW_COMMAND, error);
      void vscode.window.showErrorMessage(error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error));
      return undefined;
    }
  });

  const serializer = vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      if (!isPreviewViewState(state) || !state.origin) {
        getLog().warn('restore preview: a panel came back from a reload without a usable state; closing it');
        panel.dispose();
        return;
      }
      try {
        RestorePreviewPanel.revive(panel, context.extensionUri, await sources(state.origin), panelOptions);
      } catch (error) {
        logError('restore preview (reload)', error);
        panel.dispose();
      }
    },
  });

  const all = vscode.Disposable.from(command, serializer, {
    dispose: () => {
      RestorePreviewPanel.panels().forEach((p) => p.dispose());
      own?.dispose();
    },
  });
  context.subscriptions.push(all);
  return all;
}

export { RestorePreviewPanel } from './panel';
export { mailopsEvents, type RestoredEvent } from '../events';
export type { PreviewDataSource, PreviewSourceFactory } from './dataSource';
