/**
 * Host keys for one SSH hop: the known_hosts files and the trust store read once, the host key algorithms
 * offered in the handshake, the verdict on the key the server presents, and the trust store written when a
 * person accepts a new key. Runs before any authentication.
 *
 * As OpenSSH does, a host known by key type X is asked for X only (issue 11.4): a server (or a man in the
 * middle) that shows another type then fails the key exchange, and that failure, like a key of another type
 * that still reaches the verifier, is an error naming the known_hosts lines, never an "unknown host, trust
 * it?" prompt. Only a host with no key of any type is shown to the Prompter.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TransportError } from '../../errors';
import type { ResolvedSshTarget } from '../../hosts/sshConfig';
import { checkHostKey, fingerprintSha256, formatKnownHostsLine, hostFieldMatches, keyTypeOf, knownHostsName, parseKnownHosts, type KnownHostEntry } from '../knownHosts';
import type { LogFn } from '../run';
import type { Prompter } from '../types';

/** ssh2's host key algorithms in its own order of preference, by the key type a known_hosts line names. */
const ALGORITHMS: ReadonlyArray<readonly [keyType: string, algorithms: readonly string[]]> = [
  ['ssh-ed25519', ['ssh-ed25519']],
  ['ecdsa-sha2-nistp256', ['ecdsa-sha2-nistp256']],
  ['ecdsa-sha2-nistp384', ['ecdsa-sha2-nistp384']],
  ['ecdsa-sha2-nistp521', ['ecdsa-sha2-nistp521']],
  ['ssh-rsa', ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']],
  ['ssh-dss', ['ssh-dss']],
];

export interface HostKeyContext {
  /** The hop as configured, for messages ("mx1", "mx1 (jump host bastion)"). */
  hostLabel: string;
  target: ResolvedSshTarget;
  trustStorePath: string;
  prompter: Prompter;
  log: LogFn;
}

/** The name looked up in known_hosts: OpenSSH lowercases the host name (not a HostKeyAlias) first. */
export function lookupName(t: ResolvedSshTarget): string {
  return t.hostKeyAlias ? knownHostsName(t.hostKeyAlias, 22) : knownHostsName(t.hostName.toLowerCase(), t.port);
}

export class HostKeys {
  readonly keyName: string;
  private readonly entries: KnownHostEntry[] = [];
  /** The plain (not @revoked, not @cert-authority) lines that name this host. */
  private readonly known: KnownHostEntry[];

  constructor(private readonly ctx: HostKeyContext) {
    this.keyName = lookupName(ctx.target);
    for (const f of [...ctx.target.knownHostsFiles, ctx.trustStorePath]) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      const parsed = parseKnownHosts(text, f);
      for (const s of parsed.skipped) ctx.log('debug', `${f}:${s.line}: skipped (${s.reason})`);
      this.entries.push(...parsed.entries);
    }
    this.known = this.entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hostField, this.keyName));
  }

  /**
   * The host key algorithms to offer: those of the key types known for this host, or undefined (ssh2's
   * defaults) when none is known. Throws when the host is known only by types ssh2 cannot verify.
   */
  algorithms(): string[] | undefined {
    if (this.known.length === 0) return undefined;
    const types = new Set(this.known.map((e) => e.keyType));
    const list = ALGORITHMS.filter(([type]) => types.has(type)).flatMap(([, algos]) => algos);
    if (list.length === 0) {
      throw new TransportError('host-key-changed', `the host key of ${this.keyName} is of a type Mailops cannot verify`, {
        host: this.ctx.hostLabel,
        meaning: `the host is known only as ${this.describeKnown()}`,
        hint: `add the host's ed25519, ECDSA or RSA key to ${this.ctx.trustStorePath} (ssh-keyscan -t ed25519 on a trusted network, checked against the host's own \`ssh-keygen -lf\`)`,
      });
    }
    return list;
  }

  /** The handshake failed because the server offers none of the known key types. */
  otherTypeError(serverOffers: string | undefined): TransportError {
    return new TransportError('host-key-changed', `the host ${this.keyName} is known with another key type`, {
      host: this.ctx.hostLabel,
      meaning: `${this.describeKnown()} ${this.known.length === 1 ? 'names' : 'name'} this host, and the server offered ${serverOffers ? `only ${serverOffers}` : 'none of those types'}; this may be a man-in-the-middle attack, or the host's keys were replaced`,
      hint: this.removeHint(),
    });
  }

  /** Resolves when the key may be used; rejects with TransportError otherwise. Asks the Prompter only for a host nothing is known about. */
  async verify(key: Buffer): Promise<void> {
    const { hostLabel, trustStorePath } = this.ctx;
    const keyName = this.keyName;
    const fp = fingerprintSha256(key);
    const keyType = keyTypeOf(key) ?? 'unknown';
    const verdict = checkHostKey(this.entries, keyName, key);
    switch (verdict.status) {
      case 'trusted':
        this.ctx.log('debug', `${hostLabel}: host key ${keyType} ${fp} found in ${verdict.entry.file}:${verdict.entry.line}`);
        return;
      case 'revoked':
        throw new TransportError('host-key-changed', `the host key of ${keyName} is REVOKED`, {
          host: hostLabel,
          meaning: `the server presented ${keyType} ${fp}, which ${verdict.entry.file} line ${verdict.entry.line} marks @revoked`,
          hint: 'do not connect; ask the host\'s administrator for its current key',
        });
      case 'changed': {
        const old = verdict.previous[0]!;
        throw new TransportError('host-key-changed', `the host key of ${keyName} has CHANGED`, {
          host: hostLabel,
          meaning: `expected ${old.keyType} ${fingerprintSha256(old.key)} (${old.file} line ${old.line}), the server presented ${keyType} ${fp}; this may be a man-in-the-middle attack, or the host was reinstalled`,
          hint: `verify the new fingerprint with the host's administrator, then remove the old entry: ssh-keygen -R '${keyName}' -f '${old.file}' (or delete line ${old.line} of ${old.file})`,
        });
      }
      case 'unknown': {
        if (verdict.otherTypes.length > 0) {
          // Only the known types were offered; a key of another type got here anyway.
          throw new TransportError('host-key-changed', `the host ${keyName} is known with another key type`, {
            host: hostLabel,
            meaning: `the server presented ${keyType} ${fp}, but ${this.describeKnown()} ${this.known.length === 1 ? 'names' : 'name'} this host; this may be a man-in-the-middle attack`,
            hint: this.removeHint(),
          });
        }
        const accepted = await this.ctx.prompter.confirmHostKey({ host: keyName, port: this.ctx.target.port, keyType, fingerprint: fp });
        if (!accepted) {
          throw new TransportError('host-key-unknown', `the host key of ${keyName} is unknown and was not accepted`, {
            host: hostLabel,
            meaning: `the server presented ${keyType} ${fp}`,
            hint: `compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub\` on the host, then accept it or add it to ${trustStorePath}`,
          });
        }
        appendTrusted(trustStorePath, formatKnownHostsLine(keyName, key));
        this.ctx.log('info', `${hostLabel}: added ${keyType} ${fp} for ${keyName} to ${trustStorePath}`);
        return;
      }
    }
  }

  /** "ssh-rsa SHA256:… (FILE line N)" for each known line. */
  private describeKnown(): string {
    return this.known.map((e) => `${e.keyType} ${fingerprintSha256(e.key)} (${e.file} line ${e.line})`).join(', ');
  }

  private removeHint(): string {
    const first = this.known[0]!;
    return `verify the host's current key with its administrator (\`ssh-keygen -lf\` of its host key on the host); if it really changed, remove the old entry: ssh-keygen -R '${this.keyName}' -f '${first.file}' (or delete line ${first.line} of ${first.file}), and connect again to be asked about the new key`;
  }
}

/** Add one line to a known_hosts-format file atomically (temp file + rename). */
export function appendTrusted(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (current && !current.endsWith('\n')) current += '\n';
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, current + line + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
