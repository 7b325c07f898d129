/** mailops.message.open: a message's headers and text in a read-only editor (mailops-message: documents). */
import * as vscode from 'vscode';
import { isMessageRef, messageUri } from '../../tree/messages/messageDocument';
import type { CommandDefinition } from '../types';

export const openMessage: CommandDefinition = {
  id: 'mailops.message.open',
  async run(_services, arg) {
    const ref = isMessageRef(arg) ? arg : typeof arg === 'object' && arg !== null && 'ref' in arg && isMessageRef((arg as { ref: unknown }).ref) ? (arg as { ref: unknown }).ref : undefined;
    if (!isMessageRef(ref)) return undefined;
    const doc = await vscode.workspace.openTextDocument(messageUri(ref));
    return vscode.window.showTextDocument(doc, { preview: true });
  },
};
