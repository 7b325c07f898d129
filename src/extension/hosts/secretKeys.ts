/**
 * The SecretStorage keys of Mailops: each secret is kept under what it unlocks, never under a host's display
 * name (a settings change can point a name at another server, which must not be offered the secret):
 *   ssh-password   user@address:port of the SSH server + its verified host key (SHA256)
 *   ssh-answer     the same + the keyboard-interactive prompt it answers
 *   passphrase     the private key's public key (SHA256; see keyIdentity.ts)
 *   cyrus-admin    admin@imap-address:port + the mail host the session runs on (its SSH address, port and
 *                  host key, or `local`)
 * Pure (no vscode import), unit-tested.
 */

export const SECRET_PREFIX = 'mailops.secret.v2/';

/** The mail host a session runs on: its SSH server (as connected to, with its host key), or this machine. */
export type HostIdentity = { kind: 'ssh'; address: string; port: number; hostKey: string } | { kind: 'local' };

export type SecretTarget =
  | { kind: 'ssh-password'; user: string; address: string; port: number; hostKey: string }
  | { kind: 'ssh-answer'; user: string; address: string; port: number; hostKey: string; prompt: string }
  | { kind: 'passphrase'; keyId: string }
  | { kind: 'cyrus-admin'; admin: string; imapHost: string; imapPort: number; host: HostIdentity };

const e = encodeURIComponent;

function hostPart(h: HostIdentity): string {
  return h.kind === 'local' ? 'local' : `ssh:${e(h.address)}:${h.port}/${e(h.hostKey)}`;
}

export function secretKey(t: SecretTarget): string {
  switch (t.kind) {
    case 'ssh-password':
      return `${SECRET_PREFIX}ssh-password/${e(t.user)}@${e(t.address)}:${t.port}/${e(t.hostKey)}`;
    case 'ssh-answer':
      return `${SECRET_PREFIX}ssh-answer/${e(t.user)}@${e(t.address)}:${t.port}/${e(t.hostKey)}/${e(t.prompt)}`;
    case 'passphrase':
      return `${SECRET_PREFIX}passphrase/${e(t.keyId)}`;
    case 'cyrus-admin':
      return `${SECRET_PREFIX}cyrus-admin/${e(t.admin)}@${e(t.imapHost)}:${t.imapPort}/${hostPart(t.host)}`;
  }
}

/** For the log and the "forget" list: what the secret unlocks, in words (never the secret). */
export function describeSecret(t: SecretTarget): string {
  switch (t.kind) {
    case 'ssh-password':
      return `SSH password of ${t.user}@${t.address}:${t.port} (host key ${t.hostKey})`;
    case 'ssh-answer':
      return `SSH keyboard-interactive answer of ${t.user}@${t.address}:${t.port} (host key ${t.hostKey}) to "${t.prompt}"`;
    case 'passphrase':
      return `passphrase of the key ${t.keyId}`;
    case 'cyrus-admin':
      return `Cyrus admin password of ${t.admin} at ${t.imapHost}:${t.imapPort} on ${t.host.kind === 'local' ? 'this machine' : `${t.host.address}:${t.host.port} (host key ${t.host.hostKey})`}`;
  }
}
