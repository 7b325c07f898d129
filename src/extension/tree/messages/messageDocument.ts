/**
 * Read-only documents of single messages: `mailops-message:/HOST/ACCOUNT/MAILBOX/UID.eml?REF` where REF is
 * the JSON of a MessageRef. Dovecot messages (live or in lazy_expunge's mailbox) come from readMessage
 * (core/dovecot/message.ts: decoded headers and text, attachments listed, at most 2 MiB read); Cyrus expunged
 * messages from their file on the host (headers and text, as the CLI's --show).
 */
import * as vscode from 'vscode';
import { previewExpunged } from '../../../core/cyrus/expunged';
import { MessageNotFoundError, readMessage, type DovecotMessage } from '../../../core/dovecot/message';
import type { Connections } from '../../hosts/connections';

export const MESSAGE_SCHEME = 'mailops-message';

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

/** A Dovecot message as the read-only document shows it: a source line, decoded headers, attachments, text. */
export function renderDovecotMessage(m: DovecotMessage): string {
  const head = [`X-Mailops-Source: ${m.host} ${m.account} ${m.set} ${m.mailbox} UID ${m.uid} (GUID ${m.guid})`, ...m.headers.map(([k, v]) => `${k}: ${v}`)];
  for (const a of m.attachments) head.push(`X-Mailops-Attachment: ${a.name ?? `(part ${a.partId})`} (${a.type}, ${a.size} bytes${a.truncated ? ', cut' : ''})`);
  if (m.html !== null) head.push('X-Mailops-Note: the message also has an HTML part (not shown here)');
  return [...head, '', m.text].join('\n');
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
      try {
        // The engine's reader (one doveadm fetch, MIME decoded, capped at 2 MiB); the HTML part is not shown here.
        const m = await readMessage(ctx, ref.account, { kind: ref.source }, { mailbox: ref.mailbox, uid: ref.uid }, { signal: ac.signal });
        return renderDovecotMessage(m);
      } catch (error) {
        if (error instanceof MessageNotFoundError) {
          return vscode.l10n.t('Message UID {0} is no longer in {1} of {2} (expunged or moved meanwhile). Refresh the folder.', ref.uid, ref.mailbox, ref.account);
        }
        throw error;
      }
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
