import type { CliCommand } from '../types';
import { listAccounts, type CyrusAccount } from '../../core/cyrus/mailboxes';

function size(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A count read from the host, or `?` when it could not be read (the reason goes on a line of its own). */
export function countText(n: number | null): string {
  return n === null ? '?' : String(n);
}

/** The line under a folder whose count is unknown, saying why (nothing when the count is known or not asked). */
export function countProblemLine(problem: string | null, indent: string): string {
  return problem ? `\n${indent}? messages: ${problem}` : '';
}

/** `12 messages`, `12 messages + ? in 1 folder` when some counts are unknown; '' when counts were not asked. */
export function totalText(messages: number | null, uncounted: number): string {
  if (messages === null) return '';
  const total = `${messages} message${messages === 1 ? '' : 's'}`;
  return uncounted ? `${total} + ? in ${uncounted} folder${uncounted === 1 ? '' : 's'} (count unknown)` : total;
}

export function renderAccounts(accounts: CyrusAccount[]): string {
  const lines: string[] = [];
  for (const a of accounts) {
    const counts = a.messages === null ? '' : `, ${totalText(a.messages, a.uncounted)}, ${size(a.size)}`;
    lines.push(`${a.account}  (${a.mailboxes.length} folder${a.mailboxes.length === 1 ? '' : 's'}${counts})`);
    for (const m of a.mailboxes) lines.push(`  ${m.folder.padEnd(36)} ${countText(m.messages).padStart(7)} msgs ${size(m.size).padStart(10)}   ${m.toolName}${countProblemLine(m.countProblem, '    ')}`);
  }
  return lines.join('\n') || 'no mailboxes';
}

export const foldersCommand: CliCommand = {
  name: 'folders',
  summary: 'Cyrus: mailboxes per account with message counts and sizes (ctl_mboxlist -d + cyrus.index)',
  usage: '[ACCOUNT] [--no-counts]',
  help: 'Without ACCOUNT, every account of the host. Folder names are shown decoded (modified UTF-7) with the\nhost\'s hierarchy separator; the last column is the name the Cyrus tools take.\n(One command per capability dispatching on the server kind is the goal; for now this is the Cyrus one.)',
  options: { 'no-counts': { type: 'boolean', description: 'skip message counts and sizes (one round trip less)' } },
  needsHost: true,
  async run(ctx, args) {
    const host = await ctx.host();
    const accounts = await listAccounts(host, { account: args.positionals[0], stats: args.values['no-counts'] !== true, signal: ctx.signal });
    ctx.result(accounts, renderAccounts);
    return args.positionals[0] && accounts.length === 0 ? 1 : 0;
  },
};
