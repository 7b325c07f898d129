/** The printed table of medians. */
import type { RowLine } from './row';
import { fmtRatio } from './stats';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderTable(lines: readonly RowLine[]): string {
  const head = ['#', 'what', 'Mailops (median)', 'peer (median)', 'ratio', 'target', 'verdict'];
  const rows = lines.map((l) => [l.id, l.what, l.mailops, l.peer, l.ratio === null ? '-' : `${fmtRatio(l.ratio)} ${l.ratioLabel}`.trim(), l.target || '-', l.verdict]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `| ${r.map((c, i) => pad(c, widths[i]!)).join(' | ')} |`;
  const out = [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)];
  const notes = lines.flatMap((l) => l.notes.map((n) => `  [${l.id}] ${n}`));
  if (notes.length) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}
