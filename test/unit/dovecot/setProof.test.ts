/**
 * "Never trust that a backup was read": the set proof judged on what the real proof script printed against
 * Dovecot 2.4.1 and 2.3.19.1 (test/fixtures/dovecot24/capture.sh), with the right overrides and with a
 * misspelled key; and the marker the backup script writes, for a hostile account name, read back.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailopsError } from '../../../src/core/errors';
import { judgeProof, parseProofOutput, parseSetMarker, SET_MARKER, type ProofContext } from '../../../src/core/dovecot/setProof';
import { buildDovecotBackupScript } from '../../../src/core/dovecot/backup';
import type { DovecotDialect } from '../../../src/core/dovecot/dialect';

const DIR = join(__dirname, '../../fixtures/dovecot24');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');
const dialectOf = (v: string): DovecotDialect => (v === '24' ? '2.4' : '2.3');

function context(v: string, label: string, proof: string): ProofContext {
  const p = parseProofOutput(proof);
  return { host: `h${v}`, account: 'alice', label, dialect: dialectOf(v), dir: p.paths.mailbox ?? '', overrides: { some_key: 'x' }, command: 'doveadm … mailbox path -u alice -t mailbox INBOX' };
}
function refused(v: string, label: string, proof: string): MailopsError {
  try {
    judgeProof(parseProofOutput(proof), context(v, label, proof));
  } catch (e) {
    assert.ok(e instanceof MailopsError, String(e));
    return e;
  }
  assert.fail(`the ${label} proof of ${v} passed`);
}

describe('set proof on captured output', () => {
  for (const v of ['23', '24']) {
    test(`${dialectOf(v)}: the right overrides read the mirror and the archive point`, () => {
      for (const [name, label] of [['proof-mirror', 'mirror'], ['proof-archive', 'archive:X']] as const) {
        const p = parseProofOutput(read(`${name}.${v}.txt`));
        assert.equal(p.complete, true);
        assert.equal(p.paths.index, '', 'indexes in memory');
        assert.equal(p.real.mailbox, p.set);
        assert.equal(p.marker?.account, 'alice');
        judgeProof(p, context(v, label, read(`${name}.${v}.txt`)));
      }
      assert.equal(parseProofOutput(read(`proof-archive.${v}.txt`)).metaSetId, parseProofOutput(read(`proof-archive.${v}.txt`)).marker?.id);
    });

    test(`${dialectOf(v)}: a misspelled path key reads the LIVE mail and is refused, naming host, account, set, dialect`, () => {
      const text = read(`proof-misspelled-path.${v}.txt`);
      assert.match(parseProofOutput(text).paths.mailbox ?? '', /\/home\/alice\/Maildir$/, 'doveadm silently fell back to live');
      const e = refused(v, 'mirror', text);
      assert.equal(e.host, `h${v}`);
      assert.match(e.message, new RegExp(`refusing to read the mirror of alice \\(Dovecot ${dialectOf(v).replace('.', '\\.')} dialect\\)`));
      assert.match(e.meaning ?? '', /resolves INBOX to .*\/home\/alice\/Maildir, not to .*LIVE mail/);
      assert.match(e.hint ?? '', /mailops probe/);
    });
  }

  test('2.4: a misspelled mail_index_path would write indexes into the set: refused', () => {
    const e = refused('24', 'mirror', read('proof-misspelled-index.24.txt'));
    assert.match(e.meaning ?? '', /index files .* instead of in memory/);
  });

  test('2.4: a misspelled mail_control_path is harmless when the live config sets none (control defaults to the path)', () => {
    const text = read('proof-misspelled-control.24.txt');
    judgeProof(parseProofOutput(text), context('24', 'mirror', text));
  });

  test('a control path outside the set (the live dovecot-uidlist) is refused', () => {
    const text = read('proof-mirror.24.txt').replace(/^real\.control=.*$/m, 'real.control=/srv/mail/control/alice');
    assert.match(refused('24', 'mirror', text).meaning ?? '', /dovecot-uidlist from/);
  });

  test('the marker: another account, another set id, or missing while the .meta records one: refused', () => {
    const archive = read('proof-archive.24.txt');
    assert.match(refused('24', 'archive:X', archive.replace('marker account=alice', 'marker account=bob')).meaning ?? '', /holds a backup of "bob", not of "alice"/);
    assert.match(refused('24', 'archive:X', archive.replace(/^meta\.set_id=.*$/m, 'meta.set_id=0000000000000000')).meaning ?? '', /carries set [0-9a-f]+, but its \.meta records set 0000000000000000/);
    assert.match(refused('24', 'archive:X', archive.replace(/^marker .*\n/gm, '')).meaning ?? '', /has no \.mailops-set marker although its \.meta records set/);
  });

  test('a set made before markers (no marker, no set_id in .meta) is judged by its paths alone', () => {
    const old = read('proof-mirror.23.txt').replace(/^marker .*\n/gm, '');
    judgeProof(parseProofOutput(old), context('23', 'mirror', old));
  });

  test('doveadm failing, or a folder that is gone, is an error, never a pass', () => {
    assert.match(refused('24', 'mirror', 'set=/x\nfailed=mailbox\nrc=67\n').message, /doveadm mailbox path failed \(exit code 67\)/);
    assert.match(refused('24', 'mirror', read('proof-mirror.24.txt').replace(/^set=.*$/m, 'set=')).meaning ?? '', /does not exist/);
    assert.match(refused('24', 'mirror', read('proof-mirror.24.txt').replace('end=ok', '')).meaning ?? '', /stopped before its end/);
  });
});

describe('the marker the backup script writes', () => {
  test('captured markers parse', () => {
    for (const v of ['23', '24']) {
      const m = parseSetMarker(read(`set-marker.${v}.txt`));
      assert.equal(m?.account, 'alice');
      assert.equal(m?.kind, 'mirror');
      assert.equal(m?.dialect, dialectOf(v));
      assert.match(m?.id ?? '', /^[0-9a-f]{16}$/);
    }
    assert.equal(parseSetMarker('something else\naccount=a\nid=1\n'), null);
  });

  test('a hostile account name survives the trip through mo_set_marker (real sh)', () => {
    // A newline (which could forge a key line) never gets this far: account names are checked (names.ts, 11.6).
    assert.throws(() => buildDovecotBackupScript({ name: 'h', transport: 'ssh', server: 'dovecot', privilege: { mode: 'none' } }, 'zoë\nx=y', { kind: 'mirror' }), /control characters/);
    const account = 'zoë $(touch /tmp/mailops-pwned-unit) `id` x=y %0A';
    const built = buildDovecotBackupScript({ name: 'h', transport: 'ssh', server: 'dovecot', privilege: { mode: 'none' } }, account, { kind: 'mirror' });
    // The script's functions without its body: everything before the body's first command.
    const functions = built.script.slice(0, built.script.indexOf('\numask 066\n'));
    const dir = mkdtempSync(join(tmpdir(), 'mo-marker-'));
    try {
      rmSync('/tmp/mailops-pwned-unit', { force: true });
      const r = spawnSync('sh', ['-c', `${functions}\nDIALECT=2.4\nmo_set_marker "$TARGET" mirror`, built.name, ...built.args], { encoding: 'utf8', env: { ...process.env, TARGET: dir } });
      assert.equal(r.status, 0, r.stderr);
      const m = parseSetMarker(readFileSync(join(dir, SET_MARKER), 'utf8'));
      assert.equal(m?.account, account);
      assert.equal(m?.id, r.stdout, 'it prints the id it wrote');
      const again = spawnSync('sh', ['-c', `${functions}\nmo_set_marker "$TARGET" mirror`, built.name, ...built.args], { encoding: 'utf8', env: { ...process.env, TARGET: dir } });
      assert.equal(again.stdout.trim(), m?.id, 'an existing marker is kept');
      assert.equal(spawnSync('test', ['-e', '/tmp/mailops-pwned-unit']).status, 1, 'nothing was executed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
