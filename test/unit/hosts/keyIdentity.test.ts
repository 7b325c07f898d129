/**
 * 11.5: a passphrase is kept under the key's public key fingerprint, read from the (encrypted) private key
 * file as ssh-keygen writes it, and equal to what `ssh-keygen -lf` prints for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyIdentity } from '../../../src/extension/hosts/keyIdentity';

function keygen(dir: string, name: string, type: string, format?: string): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', 'secret pass', '-C', name, '-f', file, ...(format ? ['-m', format] : [])]);
  return file;
}

function sshKeygenFingerprint(pub: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub], { encoding: 'utf8' }).split(' ')[1]!;
}

test('11.5: an encrypted OpenSSH key is identified by its public key, as ssh-keygen -lf says, without the passphrase', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-keyid-'));
  try {
    for (const type of ['ed25519', 'rsa', 'ecdsa']) {
      const file = keygen(dir, `id_${type}`, type);
      const expected = sshKeygenFingerprint(`${file}.pub`);
      unlinkSync(`${file}.pub`); // read from the private key file itself
      assert.equal(privateKeyIdentity(file), expected, type);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('11.5: an encrypted PEM key takes its identity from FILE.pub, else from its own bytes; two keys never share one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-keyid-'));
  try {
    const a = keygen(dir, 'pem_a', 'rsa', 'PEM');
    const expected = sshKeygenFingerprint(`${a}.pub`);
    assert.equal(privateKeyIdentity(a), expected);
    unlinkSync(`${a}.pub`);
    const withoutPub = privateKeyIdentity(a);
    assert.match(withoutPub ?? '', /^file-sha256:[0-9a-f]{64}$/);
    const b = keygen(dir, 'pem_b', 'rsa', 'PEM');
    unlinkSync(`${b}.pub`);
    assert.notEqual(privateKeyIdentity(b), withoutPub);
    writeFileSync(join(dir, 'garbage'), 'not a key');
    assert.match(privateKeyIdentity(join(dir, 'garbage')) ?? '', /^file-sha256:/);
    assert.equal(privateKeyIdentity(join(dir, 'missing')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
