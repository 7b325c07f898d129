/**
 * Row 5: parsing `unexpunge -l` output with the Cyrus engine's streaming parser (UnexpungeListParser, 64 KiB
 * chunks, in the bench child) — MB/s, and the ratio to the time the tool itself took to print it.
 *
 * Generating expunged messages in the sandbox's Cyrus is slow (IMAP APPEND ~50 ms each here: Cyrus syncs every
 * append), so REAL expunged messages are made only for REAL_COUNT; the 100,000-entry text is those real captured
 * records replicated with UIDs renumbered 1..100,000. The tool's print time is measured on the real mailbox.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runChild } from '../lib/child';
import { CYRUS_BENCH_MAILBOX, prepareExpunged } from '../lib/cyrusData';
import { BENCH_DIR } from '../lib/env';
import { timedOk } from '../lib/proc';
import type { Row } from '../lib/row';
import { fmtBytes, fmtMs, fmtRatio, median } from '../lib/stats';

const REAL_COUNT = 2_000;
const TARGET = 100_000;

export const row5: Row = async ({ sb, runs, log }) => {
  const gen = await prepareExpunged(sb, REAL_COUNT, log);
  log(`cyrus: ${REAL_COUNT} real expunged messages, generated in ${fmtMs(gen.writeMs)}${gen.reused ? ` (reused, generated ${gen.at})` : ''}`);
  const tool = [`${sb.cyrus.toolsDir}/unexpunge`, '-C', sb.cyrus.config, '-l', CYRUS_BENCH_MAILBOX];
  const env = { ...process.env, TZ: 'UTC' };
  const captured = (await timedOk('env', ['TZ=UTC', ...tool], { keepStdout: true, env })).stdout!;
  const records = captured.toString('latin1').split(/(?=^UID: \d+\n)/m).filter((r) => r.startsWith('UID: '));
  if (records.length !== REAL_COUNT) throw new Error(`unexpunge -l printed ${records.length} records, expected ${REAL_COUNT}`);
  const realFile = path.join(BENCH_DIR, 'cyrus', `unexpunge-l.real-${REAL_COUNT}.txt`);
  writeFileSync(realFile, captured);
  const big: Buffer[] = [];
  for (let i = 0; i < TARGET; i++) big.push(Buffer.from(records[i % records.length]!.replace(/^UID: \d+/, `UID: ${i + 1}`), 'latin1'));
  const bigFile = path.join(BENCH_DIR, 'cyrus', `unexpunge-l.replicated-${TARGET}.txt`);
  const bigBuf = Buffer.concat(big);
  writeFileSync(bigFile, bigBuf);

  const toolMs: number[] = [];
  const parseReal: number[] = [];
  const parseBig: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await timedOk('env', ['TZ=UTC', ...tool], { stdoutToNull: true });
    const pr = await runChild({ task: 'parseUnexpunge', file: realFile });
    const pb = await runChild({ task: 'parseUnexpunge', file: bigFile });
    if (pr.count !== REAL_COUNT || pb.count !== TARGET) throw new Error(`parser returned ${String(pr.count)} / ${String(pb.count)} records`);
    toolMs.push(t.ms);
    parseReal.push(pr.ms);
    parseBig.push(pb.ms);
    log(`run ${i + 1}: unexpunge -l (${REAL_COUNT}) ${fmtMs(t.ms)}; parse ${REAL_COUNT} ${fmtMs(pr.ms)}; parse ${TARGET} ${fmtMs(pb.ms)}`);
  }
  const mbs = bigBuf.length / 1e6 / (median(parseBig) / 1000);
  const toolRate = captured.length / 1e6 / (median(toolMs) / 1000);
  const ratio = median(parseReal) / median(toolMs);
  return [
    {
      id: '5',
      what: `parse unexpunge -l: ${TARGET.toLocaleString('en-US')} entries (${REAL_COUNT.toLocaleString('en-US')} real, replicated)`,
      mailops: `${fmtMs(median(parseBig))} for ${fmtBytes(bigBuf.length)} = ${mbs.toFixed(0)} MB/s; ${REAL_COUNT} real: ${fmtMs(median(parseReal))}`,
      peer: `unexpunge -l printing ${REAL_COUNT} real: ${fmtMs(median(toolMs))} (${toolRate.toFixed(0)} MB/s)`,
      ratio,
      ratioLabel: `of the tool's time (${REAL_COUNT} real)`,
      target: 'none set (MB/s)',
      verdict: 'INFO',
      notes: [
        `REAL expunged messages: ${REAL_COUNT} (IMAP APPEND into ${CYRUS_BENCH_MAILBOX} took ${fmtMs(gen.appendMs as number)}, ~${((gen.appendMs as number) / REAL_COUNT).toFixed(0)} ms each: 100,000 would take over an hour); the 100,000-entry text replicates those captured records with UIDs 1..100,000`,
        `parse rate vs the tool's print rate: ${fmtRatio(mbs / toolRate)} (parser ${mbs.toFixed(0)} MB/s on 100,000, tool ${toolRate.toFixed(0)} MB/s on ${REAL_COUNT}, process start included)`,
      ],
      data: { toolMs, parseRealMs: parseReal, parseBigMs: parseBig, bigBytes: bigBuf.length, realBytes: captured.length, generated: gen },
    },
  ];
};
