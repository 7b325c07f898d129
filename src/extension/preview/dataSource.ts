/**
 * What the restore preview panel needs from an engine. The panel is engine-agnostic: a Dovecot restore plan and a
 * Cyrus unexpunge selection are both a PreviewDataSource (sources/dovecot.ts, sources/cyrus.ts).
 * No vscode import: the router and the sources are unit tested in node.
 */
import { MailopsError } from '../../core/errors';
import type { PlanHeader, PreviewContent, PreviewError, PreviewOrigin, PreviewRow, RestoreOutcome, RestoreProgress, RestoreTarget } from '../../shared/previewProtocol';

export interface PreviewDataSource {
  readonly origin: PreviewOrigin;
  /** The header; asked once per load (the default target folder is computed when the plan is made). */
  header(): PlanHeader;
  /** The plan's rows in chunks, as the engine produces them. Stops early when `signal` aborts. */
  loadPlan(signal: AbortSignal): AsyncIterable<readonly PreviewRow[]>;
  /** Headers and body of one row (by `PreviewRow.id`). */
  preview(id: string, signal: AbortSignal): Promise<PreviewContent>;
  /** Restore exactly these rows into `target`, then verify. `ids` are ids this source produced. */
  restore(ids: readonly string[], target: RestoreTarget, progress: (p: RestoreProgress) => void, signal: AbortSignal): Promise<RestoreOutcome>;
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
