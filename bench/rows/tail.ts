/**
 * Row 6: the last 10,000 lines of a 2 GiB log: Mailops (src/core/logs/remoteFile.ts: readTail of the editor's
 * default window, mailops.logs.tailBytes = 2 MiB, then readBefore "load more" windows until 10,000 lines) vs
 * `ssh HOST tail -n 10000 FILE`. Time and bytes received on stdout (payload; both over SSH without compression).
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { runChild } from '../lib/child';
import { BENCH_DIR, benchHost, sshArgs } from '../lib/env';
import { manifest, saveManifest } from '../lib/gen';
import { timedOk } from '../lib/proc';
import type { Row } from '../lib/row';
import { fmtBytes, fmtMs, fmtRatio, median, nowMs } from '../lib/stats';

const SIZE = 2 * 1024 ** 3;
const LINES = 10_000;
const WINDOW = 2 * 1024 * 1024;

/** Dovecot-style log lines of varied length, ~2 GiB, written in 8 MiB blocks. */
function writeLog(file: string): void {
  const fd = openSync(file, 'w');
  try {
    let written = 0;
    let n = 0;
    const kinds = [
      (i: number) => `imap(user${i % 977}@example.org)<${10000 + (i % 50000)}><sess${i.toString(36)}>: Info: Disconnected: Logged out in=${i % 400} out=${(i * 7) % 90000} deleted=0 expunged=0 trashed=0 hdr_count=${i % 40} hdr_bytes=${(i * 13) % 9000} body_count=${i % 9} body_bytes=${(i * 31) % 200000}`,
      (i: number) => `imap-login: Info: Login: user=<user${i % 977}@example.org>, method=PLAIN, rip=192.0.2.${i % 250}, lip=198.51.100.7, mpid=${10000 + (i % 50000)}, TLS, session=<sess${i.toString(36)}>`,
      (i: number) => `dsync-local(user${i % 977}@example.org)<sess${i.toString(36)}>: Warning: Mailbox changes caused a desync. You may want to run dsync again: Remote lost mailbox GUID ${(i * 2654435761 >>> 0).toString(16)}`,
      (i: number) => `lmtp(${10000 + (i % 50000)}): Info: Connect from local`,
    ];
    while (written < SIZE) {
      const parts: string[] = [];
      let len = 0;
      while (len < 8 * 1024 * 1024) {
        const t = new Date(Date.UTC(2026, 10, 1) + n * 11).toISOString().replace('T', ' ').slice(0, 19);
        const line = `${t} ${kinds[n % kinds.length]!(n)}\n`;
        parts.push(line);
        len += line.length;
        n++;
      }
      const buf = Buffer.from(parts.join(''));
      const b = written + buf.length > SIZE ? buf.subarray(0, buf.lastIndexOf(0x0a, SIZE - written - 1) + 1) : buf;
      if (b.length === 0) break;
      writeSync(fd, b);
      written += b.length;
    }
  } finally {
    closeSync(fd);
  }
}

export const row6: Row = async ({ sb, runs, log }) => {
  const dir = path.join(BENCH_DIR, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'big.log');
  let gen = manifest(dir, 'log');
  if (!gen || !existsSync(file)) {
    const t0 = nowMs();
    writeLog(file);
    gen = saveManifest(dir, 'log', { writeMs: nowMs() - t0, size: statSync(file).size });
  }
  log(`log: ${fmtBytes(statSync(file).size)} written in ${fmtMs(gen.writeMs)}${gen.reused ? ` (reused, generated ${gen.at})` : ''}`);
  const host = benchHost(sb);
  const m: number[] = [];
  const p: number[] = [];
  let mBytes = 0;
  let pBytes = 0;
  let mLines = 0;
  let requests = 0;
  for (let i = 0; i < runs; i++) {
    const c = await runChild({ task: 'tail', host, path: file, lines: LINES, windowBytes: WINDOW });
    const r = await timedOk('ssh', sshArgs(sb, `tail -n ${LINES} ${file}`));
    m.push(c.ms);
    p.push(r.ms);
    mBytes = c.transferred as number;
    mLines = c.lines as number;
    requests = c.requests as number;
    pBytes = r.stdoutBytes;
    log(`run ${i + 1}: mailops ${fmtMs(c.ms)} (${fmtBytes(mBytes)}, ${mLines} lines, ${requests} request(s)), ssh tail ${fmtMs(r.ms)} (${fmtBytes(pBytes)})`);
  }
  const ratio = median(m) / median(p);
  return [
    {
      id: '6',
      what: `last ${LINES.toLocaleString('en-US')} lines of a ${fmtBytes(statSync(file).size)} log`,
      mailops: `${fmtMs(median(m))}, ${fmtBytes(mBytes)} received (${mLines} lines, ${requests} request)`,
      peer: `ssh tail -n ${LINES} ${fmtMs(median(p))}, ${fmtBytes(pBytes)}`,
      ratio,
      ratioLabel: `of its time; bytes ${fmtRatio(mBytes / pBytes)}`,
      target: 'none set',
      verdict: 'INFO',
      notes: [
        `Mailops reads whole windows of the editor's default size (2 MiB) from a line start, so it receives every line in the window (${mLines}) rather than exactly ${LINES}; its connection was opened before timing, ssh's handshake is included`,
        `log generated in ${fmtMs(gen.writeMs)}${gen.reused ? `, reused from ${gen.at}` : ''}`,
      ],
      data: { mailopsMs: m, tailMs: p, mailopsBytes: mBytes, tailBytes: pBytes, mailopsLines: mLines, requests, generated: gen },
    },
  ];
};
