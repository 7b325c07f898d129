/**
 * The CustomExecution pseudoterminal of a mailops task: streams the remote output as it arrives (with
 * colour), shows progress in the status bar, honours cancel (closing or terminating the task aborts the
 * AbortSignal, and the transport stops the remote process group), and ends with the remote exit code
 * (closeTerminal(code) becomes the task's exit code) after a one-line summary of what it means.
 */
import * as vscode from 'vscode';
import { MailopsError, TransportError } from '../../core/errors';
import { getLog } from '../log';
import { BOLD, GREEN, RED, RESET, YELLOW, problemLine, stripControls, terminalText } from './ansi';
import type { MailopsTaskDefinition } from './definition';

/** What an action writes to; every line ends up in the terminal and in the run's transcript. */
export interface TaskOutput {
  /** A line as is (colour allowed). */
  line(text: string): void;
  /** A problem line for the Problems view, coloured by severity. */
  problem(severity: 'warning' | 'error', message: string, kind?: string): void;
  /** The step shown in the status bar progress. */
  progress(step: string): void;
}

export interface ActionOutcome {
  /** The task's exit code: the remote one where there is one. */
  code: number;
  /** One line: what the exit code means. */
  summary: string;
}

export type ActionRunner = (def: MailopsTaskDefinition, out: TaskOutput, signal: AbortSignal) => Promise<ActionOutcome>;

/** A finished or running task, kept for the test API and diagnostics. */
export interface TaskRun {
  readonly definition: MailopsTaskDefinition;
  readonly startedAt: number;
  /** Everything written, without colour. */
  transcript(): string;
  exitCode: number | undefined;
  cancelled: boolean;
  readonly done: Promise<number>;
}

const MAX_TRANSCRIPT = 2 * 1024 * 1024;

export class MailopsTaskTerminal implements vscode.Pseudoterminal, TaskRun {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly abort = new AbortController();
  private text = '';
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((r) => (this.resolveDone = r));
  readonly startedAt = Date.now();
  exitCode: number | undefined;
  cancelled = false;

  constructor(
    readonly definition: MailopsTaskDefinition,
    private readonly runner: ActionRunner,
  ) {}

  transcript(): string {
    return this.text;
  }

  /**
   * Every line reaches the terminal through here: remote text (tool lines, folder names, error messages)
   * loses every control sequence but our own colour, so it can neither move the cursor, overwrite an earlier
   * line (a lone \r), retitle the terminal nor plant a hyperlink (issue 11.8).
   */
  private write(s: string): void {
    const lines = s.split(/\r?\n/);
    if (this.text.length < MAX_TRANSCRIPT) this.text += `${lines.map(stripControls).join('\n')}\n`;
    this.writeEmitter.fire(`${lines.map(terminalText).join('\r\n')}\r\n`);
  }

  open(): void {
    const d = this.definition;
    const out: TaskOutput = {
      line: (t) => this.write(t),
      problem: (severity, message, kind) => this.write(problemLine(severity, d.host, d.account, message, kind)),
      progress: (step) => progress?.report({ message: step }),
    };
    let progress: vscode.Progress<{ message?: string }> | undefined;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Mailops {0}', d.action) }, (p) => {
      progress = p;
      return this.done;
    });
    const what = [d.account ? vscode.l10n.t('account {0}', d.account) : '', d.mailbox ? vscode.l10n.t('folder {0}', d.mailbox) : ''].filter(Boolean).join(', ');
    const title = d.dryRun ? vscode.l10n.t('Mailops {0} (dry run)', d.action) : vscode.l10n.t('Mailops {0}', d.action);
    this.write(`${BOLD}${title}${RESET} ${what ? vscode.l10n.t('on {0}, {1}', d.host, what) : vscode.l10n.t('on {0}', d.host)}`);
    void this.runner(d, out, this.abort.signal).then(
      (o) => this.finish(o),
      (error: unknown) => this.fail(error),
    );
  }

  private fail(error: unknown): void {
    if (this.abort.signal.aborted || (error instanceof TransportError && error.failure === 'cancelled')) {
      this.finish({ code: 130, summary: vscode.l10n.t('cancelled: the remote process was stopped') });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    getLog().error(`task ${this.definition.action} on ${this.definition.host}: ${message}`);
    const first = message.split('\n')[0] ?? message;
    this.write('');
    for (const l of message.split('\n').slice(1)) this.write(`${RED}${l}${RESET}`);
    this.write(problemLine('error', this.definition.host, this.definition.account, first));
    const code = error instanceof MailopsError && typeof error.exitCode === 'number' && error.exitCode > 0 ? error.exitCode : 1;
    this.finish({ code, summary: error instanceof MailopsError && error.meaning ? `exit ${code}: ${error.meaning}` : `exit ${code}: ${first}` });
  }

  private finish(o: ActionOutcome): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = o.code;
    const colour = o.code === 0 ? GREEN : o.code === 2 || o.code === 3 ? YELLOW : RED;
    this.write('');
    this.write(`${colour}${BOLD}${o.summary}${RESET}`);
    const secs = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    this.write(vscode.l10n.t('Mailops task finished with exit code {0} after {1} s.', o.code, secs));
    this.resolveDone(o.code);
    this.closeEmitter.fire(o.code);
  }

  /** The task was terminated or its terminal closed: stop the remote process. */
  close(): void {
    if (this.exitCode !== undefined) return;
    this.cancelled = true;
    getLog().info(`task ${this.definition.action} on ${this.definition.host}: cancelled by the operator; stopping the remote process`);
    this.abort.abort(new Error('cancelled'));
    // The terminal is gone; settle anyway so that the runs registry and the progress end.
    setTimeout(() => {
      if (this.exitCode === undefined) {
        this.exitCode = 130;
        this.resolveDone(130);
      }
    }, 10_000).unref?.();
  }

  handleInput(data: string): void {
    if (data === '\x03') this.close();
  }
}
