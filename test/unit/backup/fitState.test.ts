/**
 * 11.11: a dsync state longer than one argument may be (MAX_ARG_STRLEN, 128 KiB) is cut down on the host
 * to the mailboxes with the most messages (mo_fit_state of the Dovecot backup script), in a real sh with
 * the host's own tools (base64, od, awk, gzip). The result is checked with Mailops' own decoder, which
 * verifies the CRC32 exactly as Dovecot does (dsync-mailbox-state.c).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ScriptBuilder, ShCode, sh } from '../../../src/core/backup/script';
import { buildDovecotBackupScript, STATE_ARG_MAX } from '../../../src/core/dovecot/backup';
import { decodeDsyncState } from '../../../src/core/dovecot/state';
import type { HostConfig } from '../../../src/core/hosts/model';

const host: HostConfig = { name: 'h', transport: 'local', server: 'dovecot', privilege: { mode: 'none' } };
const script = buildDovecotBackupScript(host, 'alice', { kind: 'mirror' }).script;
const fn = /\nmo_fit_state\(\) \{\n[\s\S]*?\n\}\n/.exec(script);

/** A version 1.0 state of `counts.length` mailboxes (message count i = counts[i]), as doveadm prints it. */
function makeState(counts: number[]): { text: string; records: Buffer[] } {
  const records = counts.map((n, i) => {
    const r = Buffer.alloc(44);
    randomBytes(16).copy(r, 0);
    r.writeUInt32LE(1700000000 + i, 16);
    r.writeUInt32LE(n + 3, 20);
    r.writeBigUInt64LE(BigInt(n * 7 + 1), 24);
    r.writeBigUInt64LE(BigInt(i), 32);
    r.writeUInt32LE(n, 40);
    return r;
  });
  const body = Buffer.concat([Buffer.from([1, 0, 0, 0]), ...records]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return { text: Buffer.concat([body, crc]).toString('base64'), records };
}

const scratch = mkdtempSync(join(tmpdir(), 'mailops-fit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function fit(state: string, max: number) {
  assert.ok(fn, 'the Dovecot backup script defines mo_fit_state');
  // As on the host: the state is read from its file into a shell variable (no exec, so no length limit).
  const file = join(scratch, `state.${Math.random()}`);
  writeFileSync(file, `${state}\n`);
  const b = new ScriptBuilder('t');
  b.param('STATE_FILE', file);
  b.param('MAX', String(max));
  b.add(new ShCode(fn[0]));
  b.add(sh`ST=$(head -n 1 "$STATE_FILE"); if out=$(mo_fit_state "$ST" "$MAX"); then printf '%s\\n' "$out"; cat "$MO_TMP/fit.info"; else echo FAILED; fi`);
  const built = b.build();
  const r = spawnSync('sh', ['-c', built.script, built.name, ...built.args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const [out = '', info = ''] = r.stdout.split('\n');
  return { out, info, stderr: r.stderr };
}

describe('11.11 mo_fit_state (dsync state too long for one argument)', () => {
  test('2,600 mailboxes (the state is 152 KiB) become a valid state under the limit with the largest mailboxes', () => {
    // Distinct counts, in a shuffled order, so "the largest" is one exact set.
    const counts = Array.from({ length: 2600 }, (_, i) => i * 3 + 1).sort(() => Math.random() - 0.5);
    const { text, records } = makeState(counts);
    assert.ok(text.length > 131_072, `the test state must not fit in one argument (${text.length})`);
    const { out, info, stderr } = fit(text, STATE_ARG_MAX);
    assert.equal(stderr, '');
    assert.ok(out.length <= STATE_ARG_MAX, `${out.length} characters`);
    const decoded = decodeDsyncState(out);
    const keep = Math.floor((Math.floor(STATE_ARG_MAX / 4) * 3 - 8) / 44);
    assert.equal(decoded.mailboxes.length, keep);
    assert.equal(info, `${keep} 2600`);
    assert.deepEqual([decoded.major, decoded.minor], [1, 0]);
    const want = [...counts].sort((a, b) => b - a).slice(0, keep);
    assert.deepEqual(decoded.mailboxes.map((m) => m.messageCount).sort((a, b) => b - a), want);
    // Every kept record is byte-for-byte the one doveadm printed.
    const byGuid = new Map(records.map((r) => [r.subarray(0, 16).toString('hex'), r]));
    const raw = Buffer.from(out, 'base64');
    for (let o = 4; o + 44 <= raw.length - 4; o += 44) {
      const rec = raw.subarray(o, o + 44);
      assert.deepEqual(rec, byGuid.get(rec.subarray(0, 16).toString('hex')));
    }
  });

  test('records with bytes that look like text separators (0x00, 0x0a, 0x20, 0x5c) survive', () => {
    const { text, records } = makeState([5, 4, 3, 2, 1, 0]);
    for (const r of records) Buffer.from([0x00, 0x0a, 0x20, 0x5c, 0x25, 0xff, 0x27, 0x22, 0x09, 0x0d, 0x2d, 0x30, 0x31, 0x5c, 0x30, 0x0a]).copy(r, 0);
    // Rebuild the state text with those GUID bytes (same counts), then keep 3 of 6.
    const body = Buffer.concat([Buffer.from([1, 0, 0, 0]), ...records]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(body));
    const state = Buffer.concat([body, crc]).toString('base64');
    void text;
    const max = Math.ceil((4 + 3 * 44 + 4) / 3) * 4;
    const { out } = fit(state, max);
    const d = decodeDsyncState(out);
    assert.deepEqual(d.mailboxes.map((m) => m.messageCount), [5, 4, 3]);
    assert.equal(d.mailboxes[0]!.guid, '000a205c25ff2722090d2d30315c300a');
  });

  test('what it cannot read it refuses (the backup then compares in full): not base64 state, wrong version, wrong size', () => {
    assert.equal(fit('not a state', 100).out, 'FAILED');
    const bad = Buffer.alloc(4 + 44 * 3 + 4);
    bad[0] = 2;
    assert.equal(fit(bad.toString('base64'), 100).out, 'FAILED');
    assert.equal(fit(Buffer.alloc(4 + 44 * 3 + 5).toString('base64'), 100).out, 'FAILED');
  });
});
