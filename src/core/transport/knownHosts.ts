/**
 * known_hosts files, the OpenSSH way (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): pure parsing and matching.
 *
 * A line is `[@marker] patterns keytype base64key [comment]`. Patterns are comma-separated host names
 * with `*`/`?` wildcards and `!` negation; a non-22 port is written `[host]:port`; a hashed entry
 * `|1|salt|hash` is HMAC-SHA1(key = salt, data = the name as looked up). `@revoked` keys are refused for
 * every host the line names; `@cert-authority` lines name a CA for host certificates, which Mailops does
 * not use, so they are kept apart and never match a plain host key.
 */
import { createHash, createHmac } from 'node:crypto';

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  /** Where the line is, for messages ("the old key is at FILE line N"). */
  file: string;
  line: number;
  marker?: KnownHostMarker;
  /** The host field as written (comma-separated patterns or one hashed `|1|salt|hash`). */
  hostField: string;
  keyType: string;
  /** The key blob in the SSH wire format (what the server sends). */
  key: Buffer;
}

export interface KnownHostsParseResult {
  entries: KnownHostEntry[];
  /** Lines that could not be understood (OpenSSH skips them too); for a debug log. */
  skipped: { file: string; line: number; reason: string }[];
}

/** Parse one known_hosts text. Never throws: bad lines are reported in `skipped`. */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostsParseResult {
  const entries: KnownHostEntry[] = [];
  const skipped: KnownHostsParseResult['skipped'] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostMarker | undefined;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        skipped.push({ file, line: lineNo, reason: `unknown marker ${m}` });
        return;
      }
    }
    if (fields.length < 3) {
      skipped.push({ file, line: lineNo, reason: 'expected host patterns, key type and key' });
      return;
    }
    const [hostField, keyType, b64] = fields as [string, string, string];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      skipped.push({ file, line: lineNo, reason: 'key is not base64' });
      return;
    }
    const key = Buffer.from(b64, 'base64');
    const blobType = keyTypeOf(key);
    if (blobType !== keyType) {
      skipped.push({ file, line: lineNo, reason: `key type ${keyType} does not match the key blob (${blobType ?? 'unreadable'})` });
      return;
    }
    entries.push({ file, line: lineNo, marker, hostField, keyType, key });
  });
  return { entries, skipped };
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type written at the start of an SSH key blob (e.g. `ssh-ed25519`), or undefined. */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || key.length < 4 + len) return undefined;
  const t = key.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(t) ? t : undefined;
}

/** OpenSSH's fingerprint: `SHA256:` + base64 of the SHA-256 of the key blob, without padding. */
export function fingerprintSha256(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** `*` and `?` wildcards, case-insensitive (host names), whole string. */
function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    'i',
  );
  return re.test(name);
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const want = Buffer.from(parts[3]!, 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** Hash a name like `ssh-keygen -H` does (for tests and for writing hashed entries). */
export function hashHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/**
 * Does the host field of a line name `lookupName` (as returned by knownHostsName)?
 * A negated pattern that matches wins over any positive one, as in OpenSSH's match_hostname().
 */
export function hostFieldMatches(hostField: string, lookupName: string): boolean {
  if (hostField.startsWith('|')) return hashedMatch(hostField, lookupName);
  let positive = false;
  for (const p of hostField.split(',')) {
    if (p === '') continue;
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), lookupName)) return false;
    } else if (wildcardMatch(p, lookupName)) {
      positive = true;
    }
  }
  return positive;
}

export type HostKeyVerdict =
  /** A line names this host with exactly this key. */
  | { status: 'trusted'; entry: KnownHostEntry }
  /** The key is marked @revoked: refuse whatever else says. */
  | { status: 'revoked'; entry: KnownHostEntry }
  /** The host is known with a different key of the same type: possible man-in-the-middle. */
  | { status: 'changed'; previous: KnownHostEntry[] }
  /** Nothing known for this host and key type (other key types may be known: `otherTypes`). */
  | { status: 'unknown'; otherTypes: string[] };

/**
 * OpenSSH's decision for a presented host key: revoked beats everything, then an exact match is trusted,
 * then a known key of the same type that differs means "changed". `@cert-authority` lines are ignored.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], lookupName: string, key: Buffer): HostKeyVerdict {
  const keyType = keyTypeOf(key) ?? '';
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key) && (e.hostField === '*' || hostFieldMatches(e.hostField, lookupName)));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hostField, lookupName));
  const exact = forHost.find((e) => e.key.equals(key));
  if (exact) return { status: 'trusted', entry: exact };
  const sameType = forHost.filter((e) => e.keyType === keyType);
  if (sameType.length > 0) return { status: 'changed', previous: sameType };
  return { status: 'unknown', otherTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** One known_hosts line for a newly trusted key (host field in clear, like OpenSSH with HashKnownHosts no). */
export function formatKnownHostsLine(lookupName: string, key: Buffer, comment?: string): string {
  const keyType = keyTypeOf(key);
  if (!keyType) throw new Error('not an SSH key blob');
  return `${lookupName} ${keyType} ${key.toString('base64')}${comment ? ' ' + comment : ''}`;
}
