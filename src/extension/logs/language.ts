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

/** Per-document explanations, computed once per document version. */
export class LogExplainer {
  private cache = new WeakMap<vscode.TextDocument, { version: number; lines: Map<number, LineExplanation> }>();

  constructor(private readonly classify: LineClassifier | undefined) {}

  explain(doc: vscode.TextDocument): Map<number, LineExplanation> {
    const have = this.cache.get(doc);
    if (have && have.version === doc.version) return have.lines;
    const lines = new Map<number, LineExplanation>();
    for (let i = 0; i < doc.lineCount; i++) {
      const text = doc.lineAt(i).text;
      if (i === 0 && text.startsWith(HEADER_MARKER)) continue;
      const e = explainLine(text, this.classify);
      if (e.findings.length > 0 || e.account !== undefined) lines.set(i, e);
    }
    this.cache.set(doc, { version: doc.version, lines });
    return lines;
  }
}

export function registerLanguageFeatures(explainer: LogExplainer): vscode.Disposable[] {
  const collection = vscode.languages.createDiagnosticCollection('mailops-log');
  const update = (doc: vscode.TextDocument) => {
    if (!isLogDocument(doc)) return;
    const diagnostics: vscode.Diagnostic[] = [];
    for (const [line, e] of explainer.explain(doc)) {
      for (const f of e.findings) {
        if (f.severity === 'info') continue;
        const d = new vscode.Diagnostic(new vscode.Range(line, f.start, line, f.end), `${f.meaning}${f.action ? `\n${vscode.l10n.t('Next: {0}', f.action)}` : ''}`, severityOf(f));
        d.source = DIAGNOSTIC_SOURCE;
        d.code = f.kind;
        diagnostics.push(d);
      }
    }
    collection.set(doc.uri, diagnostics);
  };
  const selector: vscode.DocumentSelector = [{ language: LOG_LANGUAGE }, { scheme: LOG_SCHEME }];

  const hover: vscode.HoverProvider = {
    provideHover(doc, position) {
      const e = explainer.explain(doc).get(position.line);
      if (!e || e.findings.length === 0) return undefined;
      const md = new vscode.MarkdownString(undefined, true);
      md.isTrusted = { enabledCommands: [BACKUP_AGAIN_COMMAND] };
      const host = hostOf(doc);
      for (const f of e.findings) {
        md.appendMarkdown(`**${f.severity === 'error' ? vscode.l10n.t('Error') : f.severity === 'warning' ? vscode.l10n.t('Warning') : vscode.l10n.t('Note')}** \`${f.kind}\`\n\n`);
        md.appendText(f.meaning);
        md.appendMarkdown('\n\n');
        if (f.action) {
          md.appendMarkdown(`*${vscode.l10n.t('What to do')}:* `);
          md.appendText(f.action);
          md.appendMarkdown('\n\n');
        }
      }
      if (host && e.account !== undefined) {
        md.appendMarkdown(`[$(sync) ${vscode.l10n.t('Back up {0} again', escapeMarkdown(e.account))}](${backupAgainLink({ host, account: e.account })})`);
      }
      return new vscode.Hover(md, doc.lineAt(position.line).range);
    },
  };

  const changeLenses = new vscode.EventEmitter<void>();
  const codeLens: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changeLenses.event,
    provideCodeLenses(doc) {
      const host = hostOf(doc);
      if (!host) return [];
      const lenses: vscode.CodeLens[] = [];
      for (const [line, e] of explainer.explain(doc)) {
        // Only where something needs attention: every dsync line names its account.
        if (e.account === undefined || !e.findings.some((f) => f.severity !== 'info')) continue;
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
      const e = explainer.explain(doc).get(range.start.line);
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
    vscode.workspace.onDidChangeTextDocument((ev) => {
      update(ev.document);
      if (isLogDocument(ev.document)) changeLenses.fire();
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
    vscode.languages.registerHoverProvider(selector, hover),
    vscode.languages.registerCodeLensProvider(selector, codeLens),
    vscode.languages.registerCodeActionsProvider(selector, actions, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  ];
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
