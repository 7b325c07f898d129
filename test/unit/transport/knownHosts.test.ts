import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  hashHostName,
  hostFieldMatches,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
} from '../../../src/core/transport/knownHosts';

const FIX = join(__dirname, '../../fixtures/known_hosts');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');
const blob = (f: string) => Buffer.from(read(f).trim().split(' ')[1]!, 'base64');
const k1 = blob('k1.pub');
const k2 = blob('k2.pub');
const k3 = blob('k3.pub');
const k4 = blob('k4.pub');

describe('known_hosts parsing', () => {
  const plain = parseKnownHosts(read('plain'), 'plain');

  test('reads entries with their file and line, skips comments, blanks and broken lines', () => {
    assert.deepEqual(plain.entries.map((e) => [e.line, e.marker, e.keyType]), [
      [3, undefined, 'ssh-ed25519'],
      [4, undefined, 'ssh-ed25519'],
      [5, undefined, 'ssh-rsa'],
      [6, undefined, 'ssh-ed25519'],
      [7, 'cert-authority', 'ecdsa-sha2-nistp256'],
      [8, 'revoked', 'ssh-ed25519'],
    ]);
    assert.deepEqual(plain.skipped.map((s) => s.line), [9]);
    assert.ok(plain.entries.every((e) => e.file === 'plain'));
  });

  test('a key type that does not match the blob is skipped', () => {
    const r = parseKnownHosts(`h ssh-rsa ${k1.toString('base64')}\n`, 'f');
    assert.equal(r.entries.length, 0);
    assert.match(r.skipped[0]!.reason, /does not match/);
  });

  test('fingerprints equal ssh-keygen -lf', () => {
    for (const k of ['k1', 'k2', 'k3', 'k4']) assert.equal(fingerprintSha256(blob(`${k}.pub`)), read(`${k}.fingerprint`).trim());
  });

  test('key type is read from the blob', () => {
    assert.equal(keyTypeOf(k1), 'ssh-ed25519');
    assert.equal(keyTypeOf(k3), 'ssh-rsa');
    assert.equal(keyTypeOf(k4), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOf(Buffer.from([0, 0])), undefined);
  });
});

describe('host name matching', () => {
  test('port 22 is the bare name, others are [host]:port', () => {
    assert.equal(knownHostsName('mail1', 22), 'mail1');
    assert.equal(knownHostsName('mail1', 2222), '[mail1]:2222');
    assert.equal(knownHostsName('::1', 2222), '[::1]:2222');
  });

  test('comma lists, wildcards, negation, case-insensitive', () => {
    assert.ok(hostFieldMatches('a.example.org,192.0.2.10', '192.0.2.10'));
    assert.ok(hostFieldMatches('A.Example.org', 'a.example.ORG'));
    assert.ok(hostFieldMatches('*.wild.example.org,!bad.wild.example.org', 'x.wild.example.org'));
    assert.ok(!hostFieldMatches('*.wild.example.org,!bad.wild.example.org', 'bad.wild.example.org'));
    assert.ok(!hostFieldMatches('mail?.example.org', 'mail10.example.org'));
    assert.ok(hostFieldMatches('mail?.example.org', 'mail1.example.org'));
    assert.ok(!hostFieldMatches('mail1.example.org', '[mail1.example.org]:2222'));
    assert.ok(hostFieldMatches('[mail1.example.org]:2222', '[mail1.example.org]:2222'));
    // regex metacharacters in names are literal
    assert.ok(!hostFieldMatches('a+b.org', 'aab.org'));
  });

  test('hashed entries written by the real ssh-keygen -H', () => {
    const hashed = parseKnownHosts(read('hashed'), 'hashed').entries;
    assert.equal(hashed.length, 4);
    assert.ok(hashed.every((e) => e.hostField.startsWith('|1|')));
    const names = (n: string) => hashed.filter((e) => hostFieldMatches(e.hostField, n)).map((e) => e.line);
    assert.deepEqual(names('mail1.example.org'), [1]);
    assert.deepEqual(names('192.0.2.10'), [2]);
    assert.deepEqual(names('[mail1.example.org]:2222'), [3]);
    assert.deepEqual(names('mail2.example.org'), [4]);
    assert.deepEqual(names('mail3.example.org'), []);
    assert.deepEqual(names('MAIL2.example.org'), [], 'hashes are of the exact name');
  });

  test('hashHostName reproduces ssh-keygen -H for the salt it used', () => {
    const line = read('hashed').split('\n')[3]!;
    const field = line.split(' ')[0]!;
    const salt = Buffer.from(field.split('|')[2]!, 'base64');
    assert.equal(hashHostName('mail2.example.org', salt), field);
  });
});

describe('host key decisions', () => {
  const entries = [...parseKnownHosts(read('plain'), 'plain').entries, ...parseKnownHosts(read('hashed'), 'hashed').entries];

  test('the known key is trusted, from plain and hashed files', () => {
    const v = checkHostKey(entries, 'mail1.example.org', k1);
    assert.equal(v.status, 'trusted');
    const h = checkHostKey(parseKnownHosts(read('hashed'), 'hashed').entries, '[mail1.example.org]:2222', k1);
    assert.equal(h.status, 'trusted');
    assert.equal(checkHostKey(entries, 'x.wild.example.org', k1).status, 'trusted');
  });

  test('a different key of the same type is "changed", naming file and line of the old one', () => {
    const v = checkHostKey(entries, '[mail1.example.org]:2222', k2);
    assert.equal(v.status, 'changed');
    assert.ok(v.status === 'changed');
    assert.deepEqual(v.previous.map((e) => `${e.file}:${e.line}`), ['plain:4', 'hashed:3']);
  });

  test('a key of another type for a known host is "unknown" with the known types listed', () => {
    const v = checkHostKey(entries, 'mail2.example.org', k1);
    assert.deepEqual(v, { status: 'unknown', otherTypes: ['ssh-rsa'] });
  });

  test('an unknown host is "unknown"; a negated name does not count', () => {
    assert.deepEqual(checkHostKey(entries, 'other.example.net', k1), { status: 'unknown', otherTypes: [] });
    assert.deepEqual(checkHostKey(entries, 'bad.wild.example.org', k1), { status: 'unknown', otherTypes: [] });
  });

  test('@revoked wins over a matching entry', () => {
    const withRevoked = [...entries, ...parseKnownHosts(`revoked.example.org ${read('k1.pub')}`, 'extra').entries];
    const v = checkHostKey(withRevoked, 'revoked.example.org', k1);
    assert.equal(v.status, 'revoked');
  });

  test('@cert-authority lines never match a plain host key', () => {
    assert.deepEqual(checkHostKey(entries, 'ca.example.org', k4), { status: 'unknown', otherTypes: [] });
  });

  test('formatKnownHostsLine round-trips', () => {
    const line = formatKnownHostsLine('[127.0.0.1]:2222', k3);
    const back = parseKnownHosts(line, 'x').entries;
    assert.equal(back.length, 1);
    assert.equal(checkHostKey(back, '[127.0.0.1]:2222', k3).status, 'trusted');
  });
});
