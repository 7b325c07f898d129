/**
 * What identifies a private key file for its passphrase: the key's public key (SHA256 fingerprint), so that
 * a passphrase is kept for that key whichever host or user it is used for, and a different key at the same
 * path is never offered it. Pure Node (no vscode import), unit-tested.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The public key blob of an OpenSSH-format private key ("openssh-key-v1", the format ssh-keygen writes):
 * it is stored in clear before the encrypted part. Undefined for other formats.
 */
export function opensshPublicKeyBlob(text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const data = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (data.length < magic.length || !data.subarray(0, magic.length).equals(magic)) return undefined;
  let off = magic.length;
  const str = (): Buffer | undefined => {
    if (off + 4 > data.length) return undefined;
    const len = data.readUInt32BE(off);
    off += 4;
    if (off + len > data.length) return undefined;
    const v = data.subarray(off, off + len);
    off += len;
    return v;
  };
  if (!str() || !str() || !str()) return undefined; // cipher name, kdf name, kdf options
  if (off + 4 > data.length) return undefined;
  const count = data.readUInt32BE(off);
  off += 4;
  if (count < 1) return undefined;
  return str();
}

/** The blob of a `.pub` line (`type base64 [comment]`). */
export function publicKeyLineBlob(text: string): Buffer | undefined {
  const m = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)/.exec(text);
  if (!m) return undefined;
  const blob = Buffer.from(m[2]!, 'base64');
  return blob.length > 4 ? blob : undefined;
}

/**
 * The identity of a private key file: `SHA256:…` of its public key (from the file itself, else from
 * FILE.pub beside it), or `file-sha256:…` of the file's bytes when neither names the public key (an old
 * encrypted PEM key without .pub): that still names exactly this key and no other. Undefined when the file
 * cannot be read.
 */
export function privateKeyIdentity(file: string): string | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  const inFile = opensshPublicKeyBlob(data.toString('latin1'));
  if (inFile) return sha256Fingerprint(inFile);
  try {
    const pub = publicKeyLineBlob(readFileSync(`${file}.pub`, 'utf8'));
    if (pub) return sha256Fingerprint(pub);
  } catch {
    /* no .pub beside it */
  }
  return `file-sha256:${createHash('sha256').update(data).digest('hex')}`;
}
