/**
 * Every sentence the preview shows, localised with @vscode/l10n (the webview's vscode.l10n.t: the same bundle,
 * handed over by the page, see l10n.ts). Counts pick the singular or plural message ("1 message", "2 messages").
 * Numbers are formatted for the page's language. Pure apart from the bundle: unit tested in English.
 */
import * as l10n from '@vscode/l10n';
import {
  sourceName,
  type FolderCount,
  type PreviewOrigin,
  type RestoreOutcome,
  type RestoreProgress,
  type RestoreSummary,
  type RestoreTarget,
  type RowStatus,
  type TargetProblem,
} from '../src/shared/previewProtocol';

export const num = (n: number): string => n.toLocaleString();

export function messages(n: number): string {
  return n === 1 ? l10n.t('1 message') : l10n.t('{0} messages', num(n));
}

/** The header's counts: "1,234 messages, 1,200 shown", or "Loading… 2,000 messages" while rows arrive. */
export function planCounts(total: number, shown: number, loading: boolean): string {
  if (loading) return l10n.t('Loading… {0}', messages(total));
  return total === 1 ? l10n.t('1 message, {0} shown', num(shown)) : l10n.t('{0} messages, {1} shown', num(total), num(shown));
}

/** What the preview reads from, after the host and account in the header. */
export function sourceText(o: PreviewOrigin): string {
  if (o.engine === 'cyrus') return l10n.t('expunged messages (Cyrus unexpunge)');
  const s = sourceName(o.source);
  switch (s.kind) {
    case 'mirror':
      return l10n.t('backup: the mirror');
    case 'archive':
      return l10n.t('backup: archive point {0}', s.id);
    case 'expunged':
      return l10n.t('expunged mail (lazy_expunge)');
    case 'other':
      return l10n.t('backup: {0}', s.name);
  }
}

export function statusText(s: RowStatus): string {
  return s === 'new' ? l10n.t('new') : l10n.t('already there');
}

export function statusTitle(s: RowStatus, destination: string): string {
  return s === 'new' ? l10n.t('Not in the account: a restore puts it into {0}', destination) : l10n.t('Already in the account, in {0}: a restore skips it', destination);
}

export function targetProblemText(p: TargetProblem, maxLength: number): string {
  switch (p) {
    case 'empty':
      return l10n.t('The target folder is empty.');
    case 'tooLong':
      return l10n.t('The target folder name is longer than {0} characters.', num(maxLength));
    case 'control':
      return l10n.t('The target folder name contains control characters.');
    case 'wildcard':
      return l10n.t('The target folder name contains an IMAP wildcard (* or %).');
    case 'emptySegment':
      return l10n.t('The target folder name has an empty path segment.');
    case 'dotSegment':
      return l10n.t('The target folder name contains "." or ".." as a segment.');
  }
}

/**
 * The restore button: how many chosen messages it brings back (the chosen ones already there are skipped, and
 * when all of them are, it says so).
 */
export function restoreButton(newCount: number, chosen: number): string {
  if (newCount === 0 && chosen > 0) return chosen === 1 ? l10n.t('Already there') : l10n.t('All already there');
  return newCount === 1 ? l10n.t('Restore 1 message') : l10n.t('Restore {0} messages', num(newCount));
}

export function skippedNote(skipped: number): string {
  return skipped === 1 ? l10n.t('1 chosen message is already there and is skipped') : l10n.t('{0} chosen messages are already there and are skipped', num(skipped));
}

export function hiddenNote(hidden: number): string {
  return hidden === 1
    ? l10n.t('1 selected message is hidden by the filters and not included')
    : l10n.t('{0} selected messages are hidden by the filters and not included', num(hidden));
}

/** Where mail goes: the one folder, or the first and how many more; the target when nothing was planned. */
export function whereText(destinations: readonly FolderCount[], target: RestoreTarget): string {
  const first = destinations[0];
  if (!first) return target.kind === 'folder' ? target.folder : l10n.t('their original folders');
  const more = destinations.length - 1;
  if (more === 0) return first.folder;
  return more === 1 ? l10n.t('{0} and 1 more folder', first.folder) : l10n.t('{0} and {1} more folders', first.folder, num(more));
}

export function preparingText(count: number): string {
  return count === 1 ? l10n.t('Checking the chosen message against the account…') : l10n.t('Checking the {0} chosen messages against the account…', num(count));
}

export function confirmingText(s: RestoreSummary): string {
  return l10n.t('Confirm in the dialog: {0} into {1}. Nothing has been changed yet.', messages(s.messages), whereText(s.destinations, s.target));
}

/** While it runs: the engine's own step when it reported one, else what was confirmed. */
export function progressText(s: RestoreSummary, p: RestoreProgress | undefined): string {
  if (!p) return l10n.t('Restoring {0} into {1}…', messages(s.messages), whereText(s.destinations, s.target));
  if (p.destination !== undefined) return l10n.t('Restoring into {0}: {1} of {2} done', p.destination, num(p.done), messages(p.total));
  return l10n.t('Restoring: {0} of {1} done', num(p.done), messages(p.total));
}

export function outcomeText(r: RestoreOutcome): string {
  const failed = r.failed ? l10n.t('; {0} failed', num(r.failed)) : '';
  return l10n.t('Restored {0} into {1}; skipped {2} already present{3}.', num(r.restored), whereText(r.destinations, r.target), num(r.skipped), failed);
}

export function verifyText(r: RestoreOutcome): string {
  const ids = r.verify.missingIds?.length ? ` (${r.verify.missingIds.join(', ')})` : '';
  return l10n.t('Verify: {0} checked, missing={1}{2}.', num(r.verify.checked), num(r.verify.missing), ids);
}
