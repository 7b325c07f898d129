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

/** Our own colour sequences: the only escape sequences a task terminal lets through (terminalText). */
const OWN_SGR = [RESET, BOLD, DIM, RED, GREEN, YELLOW, CYAN];
const OWN_SGR_RE = new RegExp(`(${OWN_SGR.map((c) => c.replace(/[[\]\\]/g, '\\$&')).join('|')})`);

/*
 * What a terminal interprets in text, per ECMA-48: CSI sequences (ESC [ or the 8-bit 0x9b) move the cursor,
 * erase lines and colour; OSC (ESC ] / 0x9d) sets titles, hyperlinks and on some terminals the clipboard,
 * until BEL or ST; DCS, SOS, PM and APC (ESC P X ^ _ / 0x90 0x98 0x9e 0x9f) run until ST; other ESC pairs
 * (ESC c resets the terminal). A lone CR or BS lets a line overwrite what was printed before it.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_SEQUENCES = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * Remote text made inert for a terminal (issue 11.8): every escape sequence and every C0/C1 control
 * character removed, tab kept. Also the plain text of our own coloured lines (transcripts, tests).
 */
export function stripControls(s: string): string {
  return s.replace(CONTROL_SEQUENCES, '').replace(CONTROL_CHARS, '');
}

/**
 * One line as the task terminal may show it: our own colour sequences (OWN_SGR) stay, everything else a
 * terminal would interpret is removed (remote text reaches a line inside our colour, e.g. a folder name).
 * A remote text holding exactly one of our colour sequences keeps it: colour is all it can do.
 */
export function terminalText(line: string): string {
  return line
    .split(OWN_SGR_RE)
    .map((part, i) => (i % 2 === 1 ? part : stripControls(part)))
    .join('');
}

/** A MAILOPS step line: dim, step and status bold (fail red, warn/retry yellow). */
export function colourStepLine(remoteLine: string): string {
  const line = stripControls(remoteLine);
  const s = parseStepLine(line);
  if (!s) return line;
  const head = `MAILOPS ${s.time} `;
  const rest = line.slice(head.length + s.step.length + 1 + s.status.length);
  const tone = s.status === 'fail' ? RED : s.status === 'warn' || s.status === 'retry' || s.status === 'wait' ? YELLOW : s.status === 'ok' || s.status === 'result' ? '' : '';
  return `${DIM}${head}${RESET}${BOLD}${tone}${s.step} ${s.status}${RESET}${DIM}${rest}${RESET}`;
}

export function colourToolLine(remoteLine: string, severity: Severity | undefined): string {
  const line = stripControls(remoteLine);
  if (severity === 'error') return `${RED}${line}${RESET}`;
  if (severity === 'warning') return `${YELLOW}${line}${RESET}`;
  return line;
}

/** One line for the Problems view (see the header for its shape). */
export function problemLine(severity: 'warning' | 'error', host: string, account: string | undefined, message: string, kind?: string): string {
  const tag = severity === 'error' ? 'ERROR' : 'WARNING';
  const text = stripControls(`${tag} ${host}/${account ?? '-'}: ${message.replace(/[\r\n]+/g, ' ')}${kind ? ` [${kind}]` : ''}`);
  return `${severity === 'error' ? RED : YELLOW}${text}${RESET}`;
}
