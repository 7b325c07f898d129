/**
 * Read-only documents of single messages: `mailops-message:/HOST/ACCOUNT/MAILBOX/UID.eml?REF` where REF is
 * the JSON of a MessageRef. Dovecot messages (live or in lazy_expunge's mailbox) come from `doveadm fetch
 * text`; Cyrus expunged messages from their file on the host (headers and text, as the CLI's --show).
 */
import * as vscode from 'vscode';
import { previewExpunged } from '../../../core/cyrus/expunged';
import { streamDoveadmJson } from '../../../core/dovecot/jsonStream';
import type { Connections } from '../../hosts/connections';

export const MESSAGE_SCHEME = 'mailops-message';
const MAX_CHARS = 1024 * 1024;

export interface MessageRef {
  server: 'dovecot' | 'cyrus';
  host: string;
  account: string;
  /** Dovecot mailbox name, or the Cyrus display folder. */
  mailbox: string;
  uid: number;
  source: 'live' | 'expunged';
}

export function isMessageRef(v: unknown): v is MessageRef {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (r.server === 'dovecot' || r.server === 'cyrus') && typeof r.host === 'string' && typeof r.account === 'string' && typeof r.mailbox === 'string' && typeof r.uid === 'number' && (r.source === 'live' || r.source === 'expunged');
}

function segment(s: string): string {
  return s.replace(/[/\\?#%]/g, '_') || '_';
}

export function messageUri(ref: MessageRef): vscode.Uri {
  return vscode.Uri.from({
    scheme: MESSAGE_SCHEME,
    path: `/${segment(ref.host)}/${segment(ref.account)}/${segment(ref.mailbox)}/${ref.uid}.eml`,
    query: JSON.stringify(ref),
  });
}

export class MessageDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly connections: Connections) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let ref: unknown;
    try {
      ref = JSON.parse(uri.query);
    } catch {
      ref = undefined;
    }
    if (!isMessageRef(ref)) return vscode.l10n.t('This message link is not valid: {0}', uri.toString());
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      const ctx = this.connections.get(ref.host);
      if (ref.server === 'cyrus') {
        const p = await previewExpunged(ctx, ref.account, ref.mailbox, ref.uid, ac.signal);
        const m = p.message;
        const head = [`X-Mailops-Source: ${ref.host} ${ref.account} ${p.folder} UID ${p.uid} (expunged ${p.record?.expunged ?? '?'}, file ${p.file})`];
        const headers = m.headers.map(([k, v]) => `${k}: ${v}`);
        return [...head, ...(headers.length ? headers : [`From: ${m.from ?? ''}`, `To: ${m.to ?? ''}`, `Date: ${m.date ?? ''}`, `Subject: ${m.subject ?? ''}`]), '', m.text].join('\n');
      }
      for await (const o of streamDoveadmJson(ctx, ['fetch', '-u', ref.account, 'text', 'mailbox', ref.mailbox, 'uid', String(ref.uid)], {
        signal: ac.signal,
        what: `reading message UID ${ref.uid} of ${ref.mailbox} failed`,
      })) {
        const text = typeof o.text === 'string' ? o.text : '';
        ac.abort();
        return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}\n\n[${vscode.l10n.t('cut at {0} characters', MAX_CHARS)}]` : text;
      }
      return vscode.l10n.t('Message UID {0} is no longer in {1} of {2} (expunged or moved meanwhile). Refresh the folder.', ref.uid, ref.mailbox, ref.account);
    } catch (error) {
      if (ac.signal.aborted && token.isCancellationRequested) return '';
      return `${vscode.l10n.t('Could not read the message.')}\n\n${error instanceof Error ? error.message : String(error)}`;
    } finally {
      sub.dispose();
    }
  }
}

export function registerMessageDocuments(connections: Connections): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(MESSAGE_SCHEME, new MessageDocuments(connections));
}
