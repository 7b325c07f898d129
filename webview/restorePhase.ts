/**
 * The restore's phases as the preview shows them, and how the extension's messages move between them, so that
 * nothing claims progress before the operator confirmed:
 *   idle -> preparing (the extension plans the chosen rows again) -> confirming (its dialog is open)
 *        -> running (confirmed; the engine's progress) -> done | error;   declined -> idle.
 * Pure: unit tested through the store.
 */
import type { ExtensionMessage, PreviewError, RestoreOutcome, RestoreProgress, RestoreSummary } from '../src/shared/previewProtocol';

export type RestorePhase =
  | { readonly phase: 'idle' }
  | { readonly phase: 'preparing'; readonly count: number }
  | { readonly phase: 'confirming'; readonly summary: RestoreSummary }
  | { readonly phase: 'running'; readonly summary: RestoreSummary; readonly progress?: RestoreProgress }
  | { readonly phase: 'done'; readonly result: RestoreOutcome }
  | { readonly phase: 'error'; readonly error: PreviewError };

/** A restore is being checked, confirmed or run: the operator's choices are frozen. */
export function isBusy(p: RestorePhase): boolean {
  return p.phase === 'preparing' || p.phase === 'confirming' || p.phase === 'running';
}

/** The phase after a message from the extension; undefined when the message is not about the restore (or ignored). */
export function nextPhase(p: RestorePhase, msg: ExtensionMessage): RestorePhase | undefined {
  switch (msg.type) {
    case 'restore/confirming':
      return { phase: 'confirming', summary: msg.summary };
    case 'restore/declined':
      return { phase: 'idle' };
    case 'restore/started':
      return { phase: 'running', summary: msg.summary };
    case 'restore/progress':
      // Progress before the start (it cannot come, but never show it) is dropped.
      return p.phase === 'running' ? { ...p, progress: msg.progress } : undefined;
    case 'restore/result':
      return { phase: 'done', result: msg.result };
    case 'error':
      return msg.scope === 'restore' ? { phase: 'error', error: msg.error } : undefined;
    default:
      return undefined;
  }
}
