/**
 * Colour for the task terminal, and the problem lines the package.json problem matchers read:
 *
 *   WARNING <host>/<account>: <message> [<kind>]
 *   ERROR <host>/<account>: <message> [<kind>]
 *
 * (`mailops-dsync` for Dovecot tasks, `mailops-cyrus` for Cyrus tasks; the same shape). VS Code strips the
 * colour before matching. Mailops step lines (MAILOPS <time> <step> <status> …) are dim with step and status
 * in bold; tool lines the classifier calls warnings are yellow, errors red.
 */
import { parseStepLine } from '../../core/backup/runlog';

export const RESET = '\x1b[0m';
export const BOLD = '\x1b[1m';
export const DIM = '\x1b[2m';
export const RED = '\x1b[31m';
export const GREEN = '\x1b[32m';
export const YELLOW = '\x1b[33m';
export const CYAN = '\x1b[36m';

export type Severity = 'info' | 'warning' | 'error';

/** Remove ANSI escape sequences (for transcripts and tests). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

/** A MAILOPS step line: dim, step and status bold (fail red, warn/retry yellow). */
export function colourStepLine(line: string): string {
  const s = parseStepLine(line);
  if (!s) return line;
  const head = `MAILOPS ${s.time} `;
  const rest = line.slice(head.length + s.step.length + 1 + s.status.length);
  const tone = s.status === 'fail' ? RED : s.status === 'warn' || s.status === 'retry' || s.status === 'wait' ? YELLOW : s.status === 'ok' || s.status === 'result' ? '' : '';
  return `${DIM}${head}${RESET}${BOLD}${tone}${s.step} ${s.status}${RESET}${DIM}${rest}${RESET}`;
}

export function colourToolLine(line: string, severity: Severity | undefined): string {
  if (severity === 'error') return `${RED}${line}${RESET}`;
  if (severity === 'warning') return `${YELLOW}${line}${RESET}`;
  return line;
}

/** One line for the Problems view (see the header for its shape). */
export function problemLine(severity: 'warning' | 'error', host: string, account: string | undefined, message: string, kind?: string): string {
  const tag = severity === 'error' ? 'ERROR' : 'WARNING';
  const text = `${tag} ${host}/${account ?? '-'}: ${message.replace(/[\r\n]+/g, ' ')}${kind ? ` [${kind}]` : ''}`;
  return `${severity === 'error' ? RED : YELLOW}${text}${RESET}`;
}
