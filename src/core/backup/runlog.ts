/**
 * The run log line format: what a backup script prints (to the caller AND to the log file on the host)
 * and what the CLI, the editor's task terminal and its problem matchers parse.
 *
 * A step line:
 *
 *   MAILOPS <time> <step> <status>[ <key>=<value>]…
 *
 *   time    ISO 8601 UTC, `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (milliseconds when the host's date(1) has %N)
 *   step    [a-z][a-z0-9._-]*        e.g. run, lock, dsync, state, mirror, archive, verify, retention
 *   status  one of RUN_STATUSES      start | ok | fail | warn | info | wait | skip | retry | result
 *   key     [a-z][a-zA-Z0-9_.-]*
 *   value   percent-encoded UTF-8: bytes outside [A-Za-z0-9._~:/@+,=-] are written as %XX (upper-case hex),
 *           so a value never holds a space, a quote or a newline; the empty value is written as nothing (`k=`).
 *
 * Every other line is a tool's own output (doveadm's stderr, tar's messages) relayed verbatim. A tool line
 * that itself begins with `MAILOPS` is relayed with `> ` in front, so no tool output can pose as a step line.
 *
 * The last step line of a run is `MAILOPS <time> run result ok=yes|no exit=N …`.
 */

export const RUN_LINE_PREFIX = 'MAILOPS';
export const RUN_STATUSES = ['start', 'ok', 'fail', 'warn', 'info', 'wait', 'skip', 'retry', 'result'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface StepLine {
  time: string;
  step: string;
  status: RunStatus;
  fields: Record<string, string>;
}

const SAFE_BYTE = /^[A-Za-z0-9._~:/@+,=-]$/;
const STEP_RE = /^[a-z][a-z0-9._-]*$/;
const KEY_RE = /^[a-z][a-zA-Z0-9_.-]*$/;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Percent-encode a value (the same rule as the script's mo_enc). */
export function encodeValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE_BYTE.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeValue(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const hex = encoded.slice(i + 1, i + 3);
    if (encoded[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(encoded[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Render a step line (used by the TypeScript side, e.g. for events it adds itself, and by tests). */
export function formatStepLine(line: StepLine): string {
  if (!STEP_RE.test(line.step)) throw new Error(`invalid step name: ${JSON.stringify(line.step)}`);
  if (!TIME_RE.test(line.time)) throw new Error(`invalid time: ${JSON.stringify(line.time)}`);
  const parts = [RUN_LINE_PREFIX, line.time, line.step, line.status];
  for (const [k, v] of Object.entries(line.fields)) {
    if (!KEY_RE.test(k)) throw new Error(`invalid field name: ${JSON.stringify(k)}`);
    parts.push(`${k}=${encodeValue(v)}`);
  }
  return parts.join(' ');
}

/** Parse one step line; null when the line is not a (well-formed) step line. */
export function parseStepLine(line: string): StepLine | null {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (!text.startsWith(`${RUN_LINE_PREFIX} `)) return null;
  const parts = text.split(' ');
  if (parts.length < 4) return null;
  const [, time, step, status, ...rest] = parts as [string, string, string, string, ...string[]];
  if (!TIME_RE.test(time) || !STEP_RE.test(step) || !(RUN_STATUSES as readonly string[]).includes(status)) return null;
  const fields: Record<string, string> = {};
  for (const kv of rest) {
    if (kv === '') continue;
    const i = kv.indexOf('=');
    if (i <= 0) return null;
    const key = kv.slice(0, i);
    if (!KEY_RE.test(key)) return null;
    fields[key] = decodeValue(kv.slice(i + 1));
  }
  return { time, step, status: status as RunStatus, fields };
}

/** A tool line as relayed by the script: undo the `> ` guard in front of lines that begin with MAILOPS. */
export function unguardToolLine(line: string): string {
  return line.startsWith(`> ${RUN_LINE_PREFIX}`) ? line.slice(2) : line;
}

/** What a tool line means, as judged by a server-specific classifier (dovecot/warnings.ts for doveadm). */
export interface ToolLineClass {
  kind: string;
  severity: 'info' | 'warning' | 'error';
  meaning: string;
  action: string;
  fields: Record<string, string>;
}

export type RunEvent =
  | { type: 'step-start'; time: string; step: string; fields: Record<string, string> }
  | { type: 'step-end'; time: string; step: string; status: 'ok' | 'fail' | 'skip'; fields: Record<string, string> }
  | { type: 'wait'; time: string; step: string; fields: Record<string, string> }
  | { type: 'retry'; time: string; step: string; attempt: number | null; fields: Record<string, string> }
  | { type: 'warning'; time: string | null; step: string | null; message: string; fields: Record<string, string>; classified?: ToolLineClass }
  | { type: 'info'; time: string; step: string; fields: Record<string, string> }
  | { type: 'result'; time: string; ok: boolean; exitCode: number | null; fields: Record<string, string> }
  | { type: 'output'; line: string; step: string | null; classified?: ToolLineClass };

/**
 * Turns the lines of a run (stdout and stderr of the script, or a log file) into typed events.
 * Stateful only in remembering the current step, so that tool lines are attributed to it.
 */
export class RunLogParser {
  private current: string | null = null;
  constructor(private readonly classify?: (line: string) => ToolLineClass | null) {}

  /** One line in, zero or more events out (two when a tool line is a warning: output, then warning). */
  push(rawLine: string): RunEvent[] {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const s = parseStepLine(line);
    if (!s) {
      if (line === '') return [];
      const tool = unguardToolLine(line);
      const classified = this.classify?.(tool) ?? undefined;
      const out: RunEvent[] = [{ type: 'output', line: tool, step: this.current, ...(classified ? { classified } : {}) }];
      if (classified && classified.severity !== 'info') {
        out.push({ type: 'warning', time: null, step: this.current, message: tool, fields: classified.fields, classified });
      }
      return out;
    }
    const base = { time: s.time, step: s.step, fields: s.fields };
    switch (s.status) {
      case 'start':
        this.current = s.step;
        return [{ type: 'step-start', ...base }];
      case 'ok':
      case 'fail':
      case 'skip':
        if (this.current === s.step) this.current = null;
        return [{ type: 'step-end', ...base, status: s.status }];
      case 'wait':
        return [{ type: 'wait', ...base }];
      case 'retry': {
        const n = Number(s.fields.attempt);
        return [{ type: 'retry', ...base, attempt: Number.isInteger(n) ? n : null }];
      }
      case 'warn':
        return [{ type: 'warning', time: s.time, step: s.step, message: s.fields.message ?? s.fields.meaning ?? s.step, fields: s.fields }];
      case 'info':
        return [{ type: 'info', ...base }];
      case 'result': {
        const code = Number(s.fields.exit);
        return [{ type: 'result', time: s.time, ok: s.fields.ok === 'yes', exitCode: s.fields.exit !== undefined && Number.isInteger(code) ? code : null, fields: s.fields }];
      }
    }
  }

  /** Parse a whole text (e.g. a log file fetched from the host). */
  parseAll(text: string): RunEvent[] {
    return text.split('\n').flatMap((l) => this.push(l));
  }
}

/** Why a run failed, from its step lines: the last `fail` line that says why (reason, meaning, hint). */
export interface RunFailure {
  step: string;
  reason: string | null;
  meaning: string | null;
  hint: string | null;
  fields: Record<string, string>;
}

export function runFailure(events: readonly RunEvent[]): RunFailure | null {
  const fails = events.filter((e): e is Extract<RunEvent, { type: 'step-end' }> => e.type === 'step-end' && e.status === 'fail');
  const f = [...fails].reverse().find((e) => e.fields.meaning || e.fields.reason) ?? fails.at(-1);
  if (!f) return null;
  return { step: f.step, reason: f.fields.reason ?? null, meaning: f.fields.meaning ?? null, hint: f.fields.hint ?? null, fields: f.fields };
}
