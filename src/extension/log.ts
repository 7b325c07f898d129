/**
 * The "Mailops" LogOutputChannel: diagnostics for operators, at the level they pick with
 * "Developer: Set Log Level…" (no setting of our own). Never log secrets: passwords and passphrases
 * travel through SecretStorage and stdin, not through here.
 */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The shared channel, created on first use. activate() registers it for disposal. */
export function getLog(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Mailops', { log: true });
  return channel;
}

/** Log an error with what the operator needs (MailopsError messages already carry host, command, hint). */
export function logError(context: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  getLog().error(`${context}: ${message}`);
}

export function disposeLog(): void {
  channel?.dispose();
  channel = undefined;
}
