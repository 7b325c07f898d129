/**
 * What a log line tells an operator: findings (a range of the line, a severity, what it means, what to do)
 * and the account it names. The editor turns findings into diagnostics and hovers; the CLI could print them.
 *
 * Sources, each owned elsewhere and combined here:
 * - dsync/doveadm lines: the Dovecot classifier (core/dovecot/warnings.ts), passed in as a LineClassifier so
 *   that there is exactly one place that knows dsync's messages;
 * - Mailops' own step lines: core/backup/runlog.ts's parser (`MAILOPS <time> <step> <status> k=v…`);
 * - exit codes: core/dovecot/doveadm.ts's table, where a line reports one (`exit=75`, `exit code 2`,
 *   `Return code 75`);
 * - Cyrus syslog lines: ./cyrusLines.ts.
 */
import { parseStepLine, unguardToolLine, type ToolLineClass } from '../backup/runlog';
import { explainDoveadmExit } from '../dovecot/doveadm';
import { classifyCyrusLine } from './cyrusLines';

/** Judges one tool line (without syslog prefix); null when it does not know it. */
export type LineClassifier = (line: string) => ToolLineClass | null;

export type FindingSeverity = 'info' | 'warning' | 'error';

export interface LogFinding {
  /** Column range (UTF-16 code units, like editor positions) of the part of the line the finding is about. */
  start: number;
  end: number;
  severity: FindingSeverity;
  /** Stable identifier: the classifier's kind, `run-fail`, `exit-75`, `cyrus-ioerror`… */
  kind: string;
  meaning: string;
  action: string;
  /** Values the source extracted (mailbox, modseq, guid, exit…). */
  fields: Record<string, string>;
  /** The exit code the line reports, when it reports one. */
  exitCode?: number;
}

export interface LineExplanation {
  findings: LogFinding[];
  /** The account the line is about, when it names one. */
  account?: string;
}

/** Where the tool's own text starts after a syslog (`Nov 22 04:15:00 host dovecot: `) or ISO prefix. */
const TOOL_START = /\b(?:dsync|doveadm|dsync-server|dsync-local)\((?:[^()]|\([^()]*\))*\): /;

/**
 * Accounts as the tools print them: `dsync(alice@example.org)`, `doveadm(bob)`, `imap(alice)`,
 * `user=<alice>`, Cyrus `user.alice` / `user/alice` / `user^alice` (names, possibly with a domain `example.org!user.alice`),
 * the run log's `account=` field, and the operator's mailing-list form `dsync(alice at example.org)`.
 */
export function accountOf(line: string): string | undefined {
  const step = parseStepLine(line);
  if (step?.fields.account) return step.fields.account;
  let m = /\b(?:dsync|doveadm|dsync-server|dsync-local|imap|pop3|lmtp|lda|indexer-worker)\(([^()\s,]+(?: at [^()\s,]+)?)(?:,[^()]*)?\)/.exec(line);
  if (m) return m[1]!.replace(' at ', '@');
  m = /\buser=<([^<>]+)>/.exec(line);
  if (m) return m[1];
  m = /(?:^|[\s'"<(=])(?:([A-Za-z0-9.-]+)!)?user[./^]([^\s.^'"/<>()[\]:;,]+)/.exec(line);
  if (m) return m[1] ? `${m[2]}@${m[1]}` : m[2];
  return undefined;
}

/** The exit code a line reports, and where. */
export function exitCodeOf(line: string): { code: number; start: number; end: number } | undefined {
  const m = /\b(?:exit(?:[ _]code)?|return code|exit status|rc)[ =:]+(\d{1,3})\b/i.exec(line);
  if (!m) return undefined;
  return { code: Number(m[1]), start: m.index, end: m.index + m[0].length };
}

function fromClass(c: ToolLineClass, start: number, end: number): LogFinding {
  return { start, end, severity: c.severity, kind: c.kind, meaning: c.meaning, action: c.action, fields: c.fields };
}

/** Everything known about one line. `classify` is the Dovecot classifier (optional: without it, dsync lines are not judged). */
export function explainLine(line: string, classify?: LineClassifier): LineExplanation {
  const text = unguardToolLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  const findings: LogFinding[] = [];
  const account = accountOf(text);

  const step = parseStepLine(text);
  if (step) {
    if (step.status === 'fail' || step.status === 'warn') {
      findings.push({
        start: 0,
        end: text.length,
        severity: step.status === 'fail' ? 'error' : 'warning',
        kind: `run-${step.status}`,
        meaning: step.fields.meaning ?? step.fields.message ?? `step ${step.step} ${step.status === 'fail' ? 'failed' : 'reported a warning'}`,
        action: step.fields.hint ?? (step.status === 'fail' ? 'read the tool lines above this one' : ''),
        fields: step.fields,
      });
    }
  } else {
    const tool = TOOL_START.exec(text);
    const from = tool ? tool.index : 0;
    const c = classify?.(text.slice(from)) ?? null;
    if (c) findings.push(fromClass(c, from, text.length));
    else {
      // Not a message the classifier knows: still flag Dovecot's own log levels (Error/Fatal/Panic).
      const level = /\b(Error|Fatal|Panic): /.exec(text.slice(from));
      if (level) {
        findings.push({
          start: from + level.index,
          end: text.length,
          severity: 'error',
          kind: `dovecot-${level[1]!.toLowerCase()}`,
          meaning: level[1] === 'Error' ? 'Dovecot reported an error' : `Dovecot stopped on a ${level[1]!.toLowerCase()} error`,
          action: 'read the message; the lines before it in the same process usually say why',
          fields: {},
        });
      }
    }
    const cy = classifyCyrusLine(text);
    if (cy) findings.push(cy);
  }

  const exit = exitCodeOf(text);
  if (exit && exit.code !== 0) {
    const e = explainDoveadmExit(exit.code);
    findings.push({
      start: exit.start,
      end: exit.end,
      severity: exit.code === 2 ? 'warning' : 'error',
      kind: `exit-${exit.code}`,
      meaning: `exit code ${exit.code} (${e.name}): ${e.meaning}`,
      action: e.hint,
      fields: { exit: String(exit.code) },
      exitCode: exit.code,
    });
  }
  return account !== undefined ? { findings, account } : { findings };
}
