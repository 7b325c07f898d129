/**
 * The log engine against a real OpenSSH server (the sandbox's, or a private one: see host.ts), with the real
 * SSH transport. The host is this machine, so what the engine reads remotely is checked byte for byte
 * against the file itself.
 */
import * as assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatStepLine } from '../../../src/core/backup/runlog';
import { encodeSegment } from '../../../src/core/backup/layout';
import { discoverLogs } from '../../../src/core/logs/discover';
import { follow, readBefore, readRange, readTail, statRemote, type FollowEvent } from '../../../src/core/logs/remoteFile';
import { openTestHost, type TestHost } from './host';

const GiB = 1024 * 1024 * 1024;
const WINDOW = 2 * 1024 * 1024;
const ROOT = join(__dirname, '..', '..', '..');
const realLines = ['operator-000.txt', 'dsync-stderr.log', 'dovecot-log_path.log', 'cyrus-syslog.log']
  .flatMap((f) => readFileSync(join(ROOT, 'test', 'fixtures', 'logs', f), 'utf8').split('\n'))
  .filter((l) => l !== '');

function localRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    const n = readSync(fd, b, 0, length, offset);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('remote logs over real SSH', () => {
  let host: TestHost;
  const dir = mkdtempSync('/var/tmp/mailops-logs-it-');
  const big = join(dir, 'big dsync.log');
  const lastLines = Array.from({ length: 5 }, (_, i) => `${realLines[i % realLines.length]} [tail marker ${i}]`);

  before(async () => {
    host = await openTestHost();
    await host.ctx.transport.connect();
    // 1 GiB of real log lines, written ON THE HOST: a 1 MiB block of real lines sent once, repeated by dd.
    const block = Buffer.alloc(1024 * 1024);
    let filled = 0;
    for (let i = 0; filled < block.length; i++) filled += block.write(`${realLines[i % realLines.length]}\n`, filled);
    block[block.length - 1] = 0x0a;
    const mk = await host.ctx.transport.run(
      ['sh', '-c', 'cat > "$1.block" && for i in $(seq 1024); do cat "$1.block"; done > "$1" && rm "$1.block" && printf "%s\\n" "$2" >> "$1"', 'mk', big, lastLines.join('\n')],
      { stdin: block, timeoutMs: 120_000 },
    );
    assert.equal(mk.code, 0, mk.stderr);
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await host?.close();
  });

  it(`reads the tail of a 1 GiB log in under 2 s, receiving only the window`, async (t) => {
    const size = statSync(big).size;
    assert.ok(size > GiB, `log is ${size} bytes`);
    const started = performance.now();
    const r = await readTail(host.ctx, big, WINDOW);
    const ms = performance.now() - started;
    t.diagnostic(`${host.where}: tail of ${size} bytes: ${r.window.bytes.length} bytes shown, ${r.transferred} bytes received, ${ms.toFixed(0)} ms`);
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(r.transferred <= WINDOW + 1 + 100, `received ${r.transferred} bytes for a ${WINDOW}-byte window`);
    assert.equal(r.stat.size, size);
    assert.equal(r.window.end, size);
    const text = r.window.bytes.toString('utf8');
    assert.ok(text.endsWith(`${lastLines.join('\n')}\n`));
    // starts at a line start: the byte before the window is a newline
    assert.equal(localRange(big, r.window.start - 1, 1)[0], 0x0a);
    assert.ok(size - r.window.start <= WINDOW);
    assert.deepEqual(r.window.bytes, localRange(big, r.window.start, size - r.window.start));
  });

  it('loads the previous window exactly (load more), aligned, and byte ranges anywhere in the file', async () => {
    const tail = await readTail(host.ctx, big, WINDOW);
    const prev = await readBefore(host.ctx, big, tail.window.start, WINDOW);
    assert.equal(prev.window.end, tail.window.start);
    assert.equal(localRange(big, prev.window.start - 1, 1)[0], 0x0a);
    assert.deepEqual(prev.window.bytes, localRange(big, prev.window.start, prev.window.end - prev.window.start));
    assert.ok(prev.transferred <= WINDOW + 1 + 100);
    for (const off of [0, 1, 12345, GiB / 2 + 7, statSync(big).size - 3]) {
      const r = await readRange(host.ctx, big, off, 4096);
      assert.deepEqual(r.bytes, localRange(big, off, 4096), `range at ${off}`);
    }
    const st = await statRemote(host.ctx, big);
    assert.equal(st.size, statSync(big).size);
    assert.equal(st.inode, String(statSync(big).ino));
  });

  it('says which file is missing', async () => {
    await assert.rejects(readTail(host.ctx, join(dir, 'nope.log'), WINDOW), /does not exist/);
  });

  it('follows appended lines, a truncation and a rotation, and stops the remote loop when cancelled', async () => {
    const path = join(dir, 'follow.log');
    writeFileSync(path, `${realLines[0]}\n`);
    const start = await readTail(host.ctx, path, WINDOW);
    const events: FollowEvent[] = [];
    const ac = new AbortController();
    const done = follow(host.ctx, path, start.window.end, (e) => events.push(e), ac.signal, { inode: start.stat.inode, intervalSeconds: 0.2 });
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 50 && !ok(); i++) await sleep(100);
      assert.ok(ok(), `timed out waiting for ${what}: ${JSON.stringify(events.map((e) => ('bytes' in e ? { ...e, bytes: e.bytes.toString() } : e)))}`);
    };
    const data = () => events.filter((e): e is Extract<FollowEvent, { kind: 'data' }> => e.kind === 'data');
    const text = (from: number) => data().slice(from).map((e) => e.bytes.toString()).join('');

    appendFileSync(path, `${realLines[1]}\n${realLines[2]}\n`);
    await until('appended lines', () => text(0) === `${realLines[1]}\n${realLines[2]}\n`);
    assert.equal(data()[0]!.offset, start.window.end);

    const n = events.length;
    truncateSync(path, 0);
    await sleep(500);
    appendFileSync(path, `${realLines[3]}\n`);
    await until('truncation', () => events.slice(n).some((e) => e.kind === 'reset' && e.reason === 'truncated'));
    await until('data after truncation', () => events.slice(n).some((e) => e.kind === 'data' && e.offset === 0 && e.bytes.toString().startsWith(realLines[3]!)));

    const m = events.length;
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${realLines[4]}\n`);
    await until('rotation', () => events.slice(m).some((e) => e.kind === 'reset' && e.reason === 'replaced'));
    await until('data of the new file', () => events.slice(m).some((e) => e.kind === 'data' && e.offset === 0 && e.bytes.toString() === `${realLines[4]}\n`));

    ac.abort();
    await done;
    // The remote loop (sh + sleep) is gone: no process on the host still has this path in its arguments.
    let left = '';
    for (let i = 0; i < 30; i++) {
      const ps = await host.ctx.transport.run(['sh', '-c', 'ps -eo pid=,args= | grep -F -- "$1" | grep -v grep || true', 'ps', path]);
      left = ps.stdout.trim();
      if (left === '') break;
      await sleep(100);
    }
    assert.equal(left, '', 'the follower still runs on the host');
  });

  it('lists the logs the host offers: run logs (account decoded), Dovecot log_path, only existing files', async () => {
    const root = join(dir, 'backups');
    const account = "o'neil $(touch /tmp/mailops-pwned) ü";
    const runLog = join(root, 'dovecot', encodeSegment(account), 'logs', '20261122T041500Z-backup.log');
    const cyrusLog = join(root, 'cyrus', 'logs', '20261122T041600Z-backup.log');
    for (const p of [runLog, cyrusLog]) {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, `${formatStepLine({ time: '2026-11-22T04:15:00Z', step: 'run', status: 'start', fields: { account } })}\n`);
    }
    const dovecotLog = join(dir, 'dovecot.log');
    writeFileSync(dovecotLog, `${realLines[0]}\n`);
    const conf = join(dir, 'dovecot.conf');
    // Dovecot 2.4 (Debian 13) refuses a configuration that does not start with its version.
    const header = host.info.host.debian === 13 ? 'dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n' : '';
    writeFileSync(conf, `${header}log_path = ${dovecotLog}\ninfo_log_path = ${join(dir, 'missing-info.log')}\n`);
    const ctx = { ...host.ctx, config: { ...host.ctx.config, dovecot: { backupRoot: root, config: conf }, cyrus: { backupRoot: root } } };
    const logs = await discoverLogs(ctx);
    const run = logs.find((l) => l.path === runLog);
    assert.ok(run, JSON.stringify(logs));
    assert.equal(run.kind, 'run-dovecot');
    assert.equal(run.account, account);
    assert.equal(logs[0]!.path, runLog, 'run logs come first');
    assert.equal(logs.find((l) => l.path === cyrusLog)?.kind, 'run-cyrus');
    assert.equal(logs.find((l) => l.path === dovecotLog)?.kind, 'dovecot');
    assert.equal(logs.some((l) => l.path.endsWith('missing-info.log')), false);
  });
});
