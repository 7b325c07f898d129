/** Markdown helpers for tooltips: values from the server are shown verbatim, never interpreted. */
import * as vscode from 'vscode';

/** A Markdown code span holding `text` verbatim (nothing inside a code span is interpreted, links included). */
export function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text.replace(/\n/g, ' ')}${pad}${fence}`;
}

/** A tooltip: an icon and a bold title, then `label: value` rows (values in code spans). */
export function tooltip(icon: string, title: string, rows: ReadonlyArray<readonly [string, string | number | null | undefined]>, footer?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`$(${icon}) **`).appendText(title).appendMarkdown('**\n\n');
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    md.appendMarkdown('- ').appendText(label).appendMarkdown(`: ${codeSpan(String(value))}\n`);
  }
  if (footer) md.appendMarkdown('\n').appendText(footer);
  return md;
}

export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `2026-11-22T04:21:41Z` → `2026-11-22 04:21`. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '?';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}
