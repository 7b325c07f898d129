/** Binds the DovecotRestoreEngine port to the Dovecot restore engine (src/core/dovecot/restore.ts). */
import { readMessage, type DovecotMessage } from '../../../core/dovecot/message';
import { applyRestore, planRestore } from '../../../core/dovecot/restore';
import { parseSetRef } from '../../../core/dovecot/sets';
import type { HostContext } from '../../../core/hosts/context';
import type { PreviewContent } from '../../../shared/previewProtocol';
import type { DovecotRestoreEngine } from './dovecot';

/** What the preview pane shows of a message: decoded headers (+ its attachments), text, HTML for the sanitiser. */
export function messageToPreview(m: DovecotMessage): Omit<PreviewContent, 'id'> {
  const headers: Array<[string, string]> = m.headers.map(([k, v]) => [k, v]);
  if (m.attachments.length) {
    headers.push(['Attachments', m.attachments.map((a) => `${a.name ?? `(part ${a.partId})`} (${a.type}, ${a.size} bytes${a.truncated ? ', cut' : ''})`).join('; ')]);
  }
  return { headers, text: m.text, ...(m.html !== null ? { html: m.html } : {}), ...(m.truncated ? { truncated: true } : {}) };
}

/** `source` as the CLI takes it after --from: mirror, expunged, archive:ID. */
export function dovecotEngine(ctx: HostContext, account: string, source: string): DovecotRestoreEngine {
  const ref = parseSetRef(source, { kind: 'mirror' });
  return {
    plan: (target, signal) => planRestore(ctx, account, { source: ref, target, signal }),
    // The engine's progress line is for terminals; the preview takes the structured step that comes with it.
    apply: (plan, onProgress, signal) =>
      applyRestore(ctx, plan, { onProgress: (_line, p) => onProgress({ done: p.done, total: p.total, unit: p.unit, folder: p.folder, destination: p.destination }), signal }),
    // One doveadm fetch of the message in the plan's source set (an archive point is extracted for it and removed).
    preview: async (folder, uid, _guid, signal) => messageToPreview(await readMessage(ctx, account, ref, { mailbox: folder, uid }, { signal })),
  };
}
