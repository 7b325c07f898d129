/** Protocol types the browser tests name (re-exported from the shared protocol). */
export type { PlanHeader, PreviewContent, RestoreSummary, WebviewMessage } from '../../src/shared/previewProtocol';
import type { WebviewCommand } from '../../src/shared/previewProtocol';
export type RunRestoreCommand = Extract<WebviewCommand, { type: 'runRestore' }>;
