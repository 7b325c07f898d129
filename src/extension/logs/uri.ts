/**
 * `mailops-log://HOST/ABS/PATH`: HOST is the configured host name (the URI's authority, percent-encoded in
 * its string form), PATH the absolute path of the log on that host.
 */
import * as vscode from 'vscode';

export const LOG_SCHEME = 'mailops-log';
export const LOG_LANGUAGE = 'mailops-log';

export interface LogTarget {
  host: string;
  path: string;
}

export function logUri(host: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LOG_SCHEME, authority: host, path });
}

export function parseLogUri(uri: vscode.Uri): LogTarget {
  if (uri.scheme !== LOG_SCHEME) throw vscode.FileSystemError.FileNotFound(uri);
  const host = uri.authority;
  if (!host || !uri.path.startsWith('/') || uri.path === '/') throw vscode.FileSystemError.FileNotFound(uri);
  return { host, path: uri.path };
}
