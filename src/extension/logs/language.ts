/**
 * What the editor shows on open mailops-log documents: diagnostics for the lines the engine explains
 * (core/logs/explain.ts), a hover with the meaning and what to do, and "Back up ACCOUNT again" as a CodeLens
 * and as a quick fix on lines that name an account.
 */
import * as vscode from 'vscode';
import { explainLine, type LineClassifier, type LineExplanation, type LogFinding } from '../../core/logs/explain';
import { HEADER_MARKER } from './fileSystemProvider';
import { LOG_LANGUAGE, LOG_SCHEME, parseLogUri } from './uri';

export const BACKUP_AGAIN_COMMAND = 'mailops.logs.backupAccount';
const DIAGNOSTIC_SOURCE = 'mailops';

export function isLogDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === LOG_SCHEME || doc.languageId === LOG_LANGUAGE;
}

function severityOf(f: LogFinding): vscode.DiagnosticSeverity {
  switch (f.severity) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'info':
      return vscode.DiagnosticSeverity.Information;
  }
}

/** The host of a document: the URI's authority for mailops-log documents, none for local files. */
function hostOf(doc: vscode.TextDocument): string | undefined {
  if (doc.uri.scheme !== LOG_SCHEME) return undefined;
  try {
    return parseLogUri(doc.uri).host;
  } catch {
    return undefined;
  }
}

export interface BackupAgainArgs {
  host: string;
  account: string;
}

function backupAgainLink(args: BackupAgainArgs): string {
  return `command:${BACKUP_AGAIN_COMMAND}?${encodeURIComponent(JSON.stringify([args]))}`;
}

/**
 * Lines that can hold a finding: everything explainLine reports needs one of these words, so the other
 * lines (the vast majority of a mail log) are skipped cheaply.
 */
const MAY_HAVE_FINDING = /Warning|Error|Fatal|Panic|ERROR|MAILOPS|[Ee]xit|\brc\b|[Rr]eturn code|Failed to open|fatal error|cache record/;

/** At most this many diagnostics per document, the ones nearest the end (the newest) kept. */
export const MAX_DIAGNOSTICS = 1000;

/** Per-document explanations of the lines with findings, computed once per document version. */
export class LogExplainer {
  private cache = new Map<string, { version: number; lines: Map<number, LineExplanation> }>();

  constructor(private readonly classify: LineClassifier | undefined) {}

  /** One line, on demand (hover, quick fix). */
  line(doc: vscode.TextDocument, line: number): LineExplanation | undefined {
    if (line >= doc.lineCount) return undefined;
    const text = doc.lineAt(line).text;
    if (line === 0 && text.startsWith(HEADER_MARKER)) return undefined;
    return explainLine(text, this.classify);
  }

  /** The lines with findings. */
  explain(doc: vscode.TextDocument): Map<number, LineExplanation> {
    const key = doc.uri.toString();
    const have = this.cache.get(key);
    if (have && have.version === doc.version) return have.lines;
    const lines = new Map<number, LineExplanation>();
    for (let i = 0; i < doc.lineCount; i++) {
      const text = doc.lineAt(i).text;
      if (!MAY_HAVE_FINDING.test(text) || (i === 0 && text.startsWith(HEADER_MARKER))) continue;
      const e = explainLine(text, this.classify);
      if (e.findings.length > 0) lines.set(i, e);
    }
    this.cache.set(key, { version: doc.version, lines });
    return lines;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }
}

export function registerLanguageFeatures(explainer: LogExplainer): vscode.Disposable[] {
  const collection = vscode.languages.createDiagnosticCollection('mailops-log');
  const changeLenses = new vscode.EventEmitter<void>();
  const timers = new Map<string, NodeJS.Timeout>();
  // Debounced: opening a log with our language reopens it, and following changes it often.
  const update = (doc: vscode.TextDocument) => {
    if (!isLogDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        const current = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
        if (current && isLogDocument(current)) updateNow(current);
      }, 150),
    );
  };
  const updateNow = (doc: vscode.TextDocument) => {
    const diagnostics: vscode.Diagnostic[] = [];
    const explained = [...explainer.explain(doc)];
    for (const [line, e] of explained.slice(-MAX_DIAGNOSTICS)) {
      for (const f of e.findings) {
        if (f.severity === 'info') continue;
        const d = new vscode.Diagnostic(new vscode.Range(line, f.start, line, f.end), `${f.meaning}${f.action ? `\n${vscode.l10n.t('Next: {0}', f.action)}` : ''}`, severityOf(f));
        d.source = DIAGNOSTIC_SOURCE;
        d.code = f.kind;
        diagnostics.push(d);
      }
    }
    collection.set(doc.uri, diagnostics.slice(-MAX_DIAGNOSTICS));
    changeLenses.fire();
  };
  const selector: vscode.DocumentSelector = [{ language: LOG_LANGUAGE }, { scheme: LOG_SCHEME }];

  const hover: vscode.HoverProvider = {
    provideHover(doc, position) {
      const e = explainer.line(doc, position.line);
      if (!e || e.findings.length === 0) return undefined;
      const md = new vscode.MarkdownString(undefined, true);
      md.isTrusted = { enabledCommands: [BACKUP_AGAIN_COMMAND] };
      const host = hostOf(doc);
      for (const f of e.findings) {
        md.appendMarkdown(`**${f.severity === 'error' ? vscode.l10n.t('Error') : f.severity === 'warning' ? vscode.l10n.t('Warning') : vscode.l10n.t('Note')}** \`${f.kind}\`\n\n`);
        md.appendMarkdown(`${escapeMarkdown(f.meaning)}\n\n`);
        if (f.action) md.appendMarkdown(`*${vscode.l10n.t('What to do')}:* ${escapeMarkdown(f.action)}\n\n`);
      }
      if (host && e.account !== undefined) {
        md.appendMarkdown(`[$(sync) ${vscode.l10n.t('Back up {0} again', escapeMarkdown(e.account))}](${backupAgainLink({ host, account: e.account })})`);
      }
      return new vscode.Hover(md, doc.lineAt(position.line).range);
    },
  };

  const codeLens: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changeLenses.event,
    provideCodeLenses(doc) {
      const host = hostOf(doc);
      if (!host) return [];
      // Where something needs attention (every dsync line names its account): on the LAST line of each
      // account and kind of finding, so a log full of the same warning gets one lens, not thousands.
      const last = new Map<string, [number, LineExplanation & { account: string }]>();
      for (const [line, e] of explainer.explain(doc)) {
        if (e.account === undefined) continue;
        for (const f of e.findings) if (f.severity !== 'info') last.set(`${e.account}\0${f.kind}`, [line, { ...e, account: e.account }]);
      }
      const lenses: vscode.CodeLens[] = [];
      const lines = new Map([...last.values()]);
      for (const [line, e] of [...lines].sort((a, b) => a[0] - b[0])) {
        lenses.push(
          new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
            title: vscode.l10n.t('Back up {0} again', e.account),
            command: BACKUP_AGAIN_COMMAND,
            arguments: [{ host, account: e.account } satisfies BackupAgainArgs],
          }),
        );
      }
      return lenses;
    },
  };

  const actions: vscode.CodeActionProvider = {
    provideCodeActions(doc, range) {
      const host = hostOf(doc);
      const e = explainer.line(doc, range.start.line);
      if (!host || !e?.account) return [];
      const action = new vscode.CodeAction(vscode.l10n.t('Back up {0} again', e.account), vscode.CodeActionKind.QuickFix);
      action.command = { title: action.title, command: BACKUP_AGAIN_COMMAND, arguments: [{ host, account: e.account } satisfies BackupAgainArgs] };
      return [action];
    },
  };

  for (const doc of vscode.workspace.textDocuments) update(doc);
  return [
    collection,
    changeLenses,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((ev) => update(ev.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      collection.delete(doc.uri);
      explainer.forget(doc);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    vscode.languages.registerHoverProvider(selector, hover),
    vscode.languages.registerCodeLensProvider(selector, codeLens),
    vscode.languages.registerCodeActionsProvider(selector, actions, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  ];
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
