/**
 * The extension side of the preview protocol: validates every message the webview posts (isWebviewMessage),
 * streams the plan in chunks (planned for the operator's target, re-planned when it changes), answers preview
 * requests with matched responses, and runs one restore at a time in steps: plan again for exactly the chosen
 * rows (prepare), ask the operator with what that plan will do (confirm), run it (through the host's `runRestore`,
 * i.e. as a VS Code task, when it has one) with the engine's structured progress, report the verified result, and
 * reload the plan so that what was restored shows as already there.
 * No vscode import (the panel passes `post`, `confirm`, `log`, `t`, `runRestore`, `restored`): unit tested in node.
 */
import {
  PLAN_CHUNK_SIZE,
  PREVIEW_PROTOCOL_VERSION,
  describeTarget,
  isWebviewMessage,
  sameTarget,
  targetAllowed,
  type ExtensionMessage,
  type PreviewRow,
  type RestoreOutcome,
  type RestoreProgress,
  type RestoreSummary,
  type RestoreTarget,
  type WebviewMessage,
} from '../../shared/previewProtocol';
import { toPreviewError, type PreviewDataSource } from './dataSource';

export interface RouterHost {
  /** Posts to the webview; resolves false when the webview is gone. */
  post(message: ExtensionMessage): Thenable<boolean> | Promise<boolean>;
  /** Asks the operator to confirm a restore (modal) with what the fresh plan will do; resolves true to go ahead. */
  confirm(summary: RestoreSummary): Promise<boolean>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** The current selection (for a status bar or a command); optional. */
  onSelection?(ids: readonly string[]): void;
  /** Localizes a message (vscode.l10n.t in the panel); `{0}`… are the arguments. Default: English. */
  t?(message: string, ...args: Array<string | number>): string;
  /**
   * Runs a confirmed restore where the operator sees it run (the panel: as a `mailops` task whose terminal
   * streams each progress line, cancellable there). `work` does the restore; `line` writes to that output and
   * `signal` is the task's cancellation. Absent: the restore runs in place.
   */
  runRestore?(summary: RestoreSummary, work: (line: (text: string) => void, signal: AbortSignal) => Promise<RestoreOutcome>): Promise<RestoreOutcome>;
  /** A confirmed restore ended (whatever its outcome: it may have changed the account); the panel publishes it. */
  restored?(summary: RestoreSummary, outcome: RestoreOutcome | undefined): void;
}

export class PreviewRouter {
  private loadId = 0;
  private loadAbort: AbortController | undefined;
  private restoreAbort: AbortController | undefined;
  private readonly previewAborts = new Map<number, AbortController>();
  /** Ids of the current plan: runRestore may only name these. */
  private known = new Set<string>();
  private loading: Promise<void> | undefined;
  /** The operator's target (from `ready` or `setTarget`); undefined: the engine's default. */
  private target: RestoreTarget | undefined;
  private disposed = false;

  constructor(
    private readonly source: PreviewDataSource,
    private readonly host: RouterHost,
  ) {}

  private t(message: string, ...args: Array<string | number>): string {
    return this.host.t ? this.host.t(message, ...args) : message.replace(/\{(\d+)\}/g, (m, i: string) => String(args[Number(i)] ?? m));
  }

  /** Entry point for `webview.onDidReceiveMessage`. Anything that is not a valid WebviewMessage is dropped. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isWebviewMessage(raw)) {
      this.host.log('warn', `restore preview: dropped an invalid message from the webview: ${describeRaw(raw)}`);
      return;
    }
    await this.handle(raw);
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (m.protocol !== PREVIEW_PROTOCOL_VERSION) this.host.log('warn', `restore preview: webview speaks protocol ${m.protocol}, extension ${PREVIEW_PROTOCOL_VERSION}`);
        if (m.target && targetAllowed(this.source.header(), m.target)) this.target = m.target;
        await this.load();
        return;
      case 'reload':
        await this.load();
        return;
      case 'select':
        this.host.onSelection?.(m.ids.filter((id) => this.known.has(id)));
        return;
      case 'setTarget': {
        if (!targetAllowed(this.source.header(), m.target)) return;
        this.target = m.target;
        // Destinations depend on the target: the engine plans them again (not when the plan is for it already).
        if (!sameTarget(m.target, this.source.header().target)) await this.load();
        return;
      }
      case 'cancelRestore':
        this.restoreAbort?.abort();
        return;
      case 'runRestore':
        await this.runRestore(m.ids, m.target);
        return;
      case 'request':
        await this.preview(m.requestId, m.params.id);
        return;
    }
  }

  /** (Re)loads the plan: a new loadId, the rows in chunks of PLAN_CHUNK_SIZE, then plan/end (or an error). */
  load(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    const loadId = ++this.loadId;
    this.known = new Set();
    const target = this.target;
    const run = async (): Promise<void> => {
      let total = 0;
      let seq = 0;
      try {
        await this.host.post({ type: 'plan/start', header: this.source.header(), loadId });
        let pending: PreviewRow[] = [];
        const flush = async (): Promise<void> => {
          if (pending.length === 0) return;
          const rows = pending;
          pending = [];
          await this.host.post({ type: 'plan/rows', loadId, seq: seq++, rows });
        };
        for await (const chunk of this.source.loadPlan(target, abort.signal)) {
          if (abort.signal.aborted) return;
          for (const row of chunk) {
            if (this.known.has(row.id)) continue;
            this.known.add(row.id);
            pending.push(row);
            total++;
            if (pending.length >= PLAN_CHUNK_SIZE) await flush();
          }
        }
        if (abort.signal.aborted) return;
        await flush();
        await this.host.post({ type: 'plan/end', loadId, total, header: this.source.header() });
      } catch (error) {
        if (abort.signal.aborted) return;
        this.host.log('error', `restore preview: loading the plan failed: ${error instanceof Error ? error.message : String(error)}`);
        await this.host.post({ type: 'error', scope: 'plan', error: toPreviewError(error) });
      }
    };
    this.loading = run();
    return this.loading;
  }

  private async preview(requestId: number, id: string): Promise<void> {
    // Only the newest preview matters: cancel the ones still running.
    for (const a of this.previewAborts.values()) a.abort();
    this.previewAborts.clear();
    const abort = new AbortController();
    this.previewAborts.set(requestId, abort);
    try {
      if (!this.known.has(id)) throw new Error(`no message ${JSON.stringify(id)} in this plan`);
      const result = await this.source.preview(id, abort.signal);
      if (abort.signal.aborted) return;
      await this.host.post({ type: 'response', requestId, method: 'preview', ok: true, result: { ...result, id } });
    } catch (error) {
      if (abort.signal.aborted) return;
      await this.host.post({ type: 'response', requestId, method: 'preview', ok: false, error: toPreviewError(error) });
    } finally {
      this.previewAborts.delete(requestId);
    }
  }

  /** A progress step as one terminal line: `[done/total] folder → destination` (no words to translate but the arrow). */
  private progressLine(p: RestoreProgress): string {
    return p.folder !== undefined && p.destination !== undefined ? this.t('[{0}/{1}] {2} → {3}', p.done, p.total, p.folder, p.destination) : `[${p.done}/${p.total}]`;
  }

  private async runRestore(ids: readonly string[], target: RestoreTarget): Promise<void> {
    if (this.restoreAbort) {
      await this.host.post({ type: 'error', scope: 'restore', error: { message: this.t('A restore is already running in this preview.') } });
      return;
    }
    const abort = new AbortController();
    this.restoreAbort = abort;
    let ran: { summary: RestoreSummary; outcome?: RestoreOutcome } | undefined;
    try {
      await this.loading;
      const unknown = ids.filter((id) => !this.known.has(id));
      if (unknown.length) {
        this.host.log('warn', `restore preview: runRestore named ${unknown.length} ids that are not in the plan`);
        await this.host.post({
          type: 'error',
          scope: 'restore',
          error: {
            message: unknown.length === 1 ? this.t('1 of the chosen messages is not in the current plan.') : this.t('{0} of the chosen messages are not in the current plan.', unknown.length),
            hint: this.t('Refresh the preview and choose again.'),
          },
        });
        return;
      }
      const header = this.source.header();
      if (!targetAllowed(header, target)) {
        await this.host.post({ type: 'error', scope: 'restore', error: { message: this.t('This source cannot restore into {0}.', describeTarget(target)) } });
        return;
      }
      const unique = [...new Set(ids)];
      // What the restore would do now, from a fresh plan: the dialog says exactly that.
      const prepared = await this.source.prepareRestore(unique, target, abort.signal);
      const summary = prepared.summary;
      if (summary.messages === 0) {
        await this.host.post({ type: 'error', scope: 'restore', error: { message: this.t('Nothing to restore: the chosen messages are already in the account.') } });
        await this.load();
        return;
      }
      await this.host.post({ type: 'restore/confirming', summary });
      if (!(await this.host.confirm(summary))) {
        await this.host.post({ type: 'restore/declined' });
        return;
      }
      ran = { summary };
      await this.host.post({ type: 'restore/started', summary });
      const o = header.origin;
      this.host.log('info', `restore preview: restoring ${summary.messages} messages of ${o.host}/${o.account} from ${o.source} into ${describeTarget(target)}`);
      const work = (line: (text: string) => void, signal: AbortSignal): Promise<RestoreOutcome> =>
        prepared.run(
          (progress) => {
            line(this.progressLine(progress));
            void this.host.post({ type: 'restore/progress', progress });
          },
          // The webview's Cancel and the task's (terminate, close its terminal) both stop it.
          signal === abort.signal ? signal : AbortSignal.any([abort.signal, signal]),
        );
      const result = this.host.runRestore ? await this.host.runRestore(summary, work) : await work(() => undefined, abort.signal);
      ran.outcome = result;
      this.host.log('info', `restore preview: restored ${result.restored}, skipped ${result.skipped}, failed ${result.failed}; verify missing=${result.verify.missing}`);
      await this.host.post({ type: 'restore/result', result });
    } catch (error) {
      this.host.log('error', `restore preview: restore failed: ${error instanceof Error ? error.message : String(error)}`);
      await this.host.post({ type: 'error', scope: 'restore', error: toPreviewError(error) });
    } finally {
      this.restoreAbort = undefined;
    }
    if (ran) {
      // The account changed: the plan is made again (what was restored is now already there), and the rest of
      // the editor is told.
      this.host.restored?.(ran.summary, ran.outcome);
      await this.load();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.loadAbort?.abort();
    // A running restore is not aborted when the panel closes: it finishes (and logs its outcome) rather than
    // stopping halfway through a folder.
    for (const a of this.previewAborts.values()) a.abort();
    this.source.dispose?.();
  }
}

function describeRaw(raw: unknown): string {
  try {
    const s = JSON.stringify(raw);
    return s === undefined ? String(raw) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return typeof raw;
  }
}
