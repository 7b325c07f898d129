/**
 * What the restore preview panel needs from an engine. The panel is engine-agnostic: a Dovecot restore plan and a
 * Cyrus unexpunge selection are both a PreviewDataSource (sources/dovecot.ts, sources/cyrus.ts).
 * No vscode import: the router and the sources are unit tested in node.
 */
import { MailopsError } from '../../core/errors';
import type { PlanHeader, PreviewContent, PreviewError, PreviewOrigin, PreviewRow, RestoreOutcome, RestoreProgress, RestoreSummary, RestoreTarget } from '../../shared/previewProtocol';

/** A restore checked against a fresh plan, not started: what it will do, and how to carry it out. */
export interface PreparedRestore {
  readonly summary: RestoreSummary;
  /** Carries out exactly the summarised restore, then verifies; progress is the engine's, structured. */
  run(progress: (p: RestoreProgress) => void, signal: AbortSignal): Promise<RestoreOutcome>;
}

export interface PreviewDataSource {
  readonly origin: PreviewOrigin;
  /** The header: before a load, what is known; after it, the target and default folder the engine planned with. */
  header(): PlanHeader;
  /**
   * The plan's rows in chunks, as the engine produces them, with destinations planned for `target` (undefined:
   * the engine's default). Stops early when `signal` aborts.
   */
  loadPlan(target: RestoreTarget | undefined, signal: AbortSignal): AsyncIterable<readonly PreviewRow[]>;
  /** Headers and body of one row (by `PreviewRow.id`). */
  preview(id: string, signal: AbortSignal): Promise<PreviewContent>;
  /** Plans exactly these rows (ids this source produced) into `target` again, right now; changes nothing. */
  prepareRestore(ids: readonly string[], target: RestoreTarget, signal: AbortSignal): Promise<PreparedRestore>;
  dispose?(): void;
}

/** Builds the data source for an origin (the command, and the serializer after a window reload). */
export type PreviewSourceFactory = (origin: PreviewOrigin) => Promise<PreviewDataSource>;

/** An error as the webview shows it: the first line of the message, host, command, and what to do next. */
export function toPreviewError(error: unknown): PreviewError {
  if (error instanceof MailopsError) {
    return { message: error.message.split('\n')[0] ?? error.message, host: error.host, command: error.command, hint: error.hint };
  }
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}
