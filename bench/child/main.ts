/**
 * The Mailops side of the benchmark rows, one task per process (see bench/lib/child.ts). Argument: a JSON task.
 * Prints `BENCH-RESULT {json}`: ms (the measured part), connectMs, maxRssKb (ru_maxrss = VmHWM), heapPeak.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostContext } from '../../src/core/hosts/context';
import type { HostConfig } from '../../src/core/hosts/model';
import { createTransport } from '../../src/core/transport';
import type { Prompter, Transport } from '../../src/core/transport/types';

const task = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;

let heapPeak = 0;
const sampler = setInterval(() => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
}, 10);

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

const prompter: Prompter = {
  confirmHostKey: async () => false,
  askSecret: async () => undefined,
};

function transportFor(host: HostConfig): Transport {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailops-bench-child-'));
  return createTransport(host, { prompter, trustStorePath: path.join(dir, 'known_hosts') });
}

async function withCtx(fn: (ctx: HostContext) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const host = task.host as HostConfig;
  const transport = transportFor(host);
  const t0 = now();
  await transport.connect();
  const connectMs = now() - t0;
  try {
    return { connectMs, ...(await fn({ config: host, transport })) };
  } finally {
    await transport.close();
  }
}

async function pool<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const tasks: Record<string, () => Promise<Record<string, unknown>>> = {
  /** N small commands over the pooled connection: one after another, or all at once. */
  commands: () =>
    withCtx(async (ctx) => {
      const argv = task.argv as string[];
      const count = task.count as number;
      let failures = 0;
      let out = 0;
      const one = async () => {
        const r = await ctx.transport.run(argv);
        if (r.code !== 0) failures++;
        out += r.stdout.length;
      };
      const t0 = now();
      if (task.mode === 'concurrent') await Promise.all(Array.from({ length: count }, one));
      else for (let i = 0; i < count; i++) await one();
      const ms = now() - t0;
      if (failures) throw new Error(`${failures} of ${count} commands failed`);
      return { ms, count, stdoutBytes: out };
    }),

  /**
   * Row 9: N small commands one after another, each one's output checked (`echo mailops-I` prints exactly
   * that line), first untimed (correctness before timing), then timed. `runner` says which path the host
   * uses (ssh.runner); the result says which one really ran (runnerPid), so a silent fallback cannot pass.
   */
  checkedCommands: () =>
    withCtx(async (ctx) => {
      const count = task.count as number;
      const pass = async () => {
        for (let i = 0; i < count; i++) {
          const r = await ctx.transport.run(['echo', `mailops-${i}`]);
          if (r.code !== 0 || r.stdout !== `mailops-${i}\n` || r.stderr !== '') throw new Error(`command ${i} printed ${JSON.stringify(r)}`);
        }
      };
      await pass();
      const t0 = now();
      await pass();
      const ms = now() - t0;
      const runnerPid = (ctx.transport as { runnerPid?: number }).runnerPid ?? null;
      return { ms, count, runnerPid };
    }),

  /** All mailboxes of every account (doveadm mailbox status -A / -u PATTERN), streamed object by object. */
  mailboxes: () =>
    withCtx(async (ctx) => {
      const { streamDoveadmJson } = await import('../../src/core/dovecot/jsonStream');
      const { STATUS_FIELDS, toMailboxStatus } = await import('../../src/core/dovecot/mailboxes');
      let count = 0;
      let messages = 0;
      const accounts = new Set<string>();
      const t0 = now();
      for await (const o of streamDoveadmJson(ctx, ['mailbox', 'status', ...(task.users as string[]), STATUS_FIELDS.join(' '), '*'], { what: 'bench listing' })) {
        const m = toMailboxStatus(String(o.username ?? ''), o);
        count++;
        messages += m.messages;
        accounts.add(m.account);
      }
      return { ms: now() - t0, count, messages, accounts: accounts.size };
    }),

  /** What the tree/CLI does: listAccounts, then listMailboxes of each account (8 at a time). */
  mailboxesPerAccount: () =>
    withCtx(async (ctx) => {
      const { listAccounts } = await import('../../src/core/dovecot/accounts');
      const { listMailboxes } = await import('../../src/core/dovecot/mailboxes');
      let count = 0;
      const t0 = now();
      const accounts = await listAccounts(ctx);
      await pool(accounts, 8, async (a) => {
        const n = (await listMailboxes(ctx, a.name)).length;
        count += n;
      });
      return { ms: now() - t0, count, accounts: accounts.length };
    }),

  /** The messages of one mailbox, streamed (listMessages: status for the GUID, then fetch). */
  messages: () =>
    withCtx(async (ctx) => {
      const { listMessages } = await import('../../src/core/dovecot/messages');
      let count = 0;
      let bytes = 0;
      const t0 = now();
      for await (const m of listMessages(ctx, task.account as string, task.mailbox as string)) {
        count++;
        bytes += m.size;
      }
      return { ms: now() - t0, count, bytes };
    }),

  /** Parse a captured/assembled `unexpunge -l` text with the engine's streaming parser, 64 KiB chunks. */
  parseUnexpunge: async () => {
    const { UnexpungeListParser } = await import('../../src/core/cyrus/parse');
    const buf = readFileSync(task.file as string);
    const chunk = 64 * 1024;
    const t0 = now();
    const p = new UnexpungeListParser();
    let count = 0;
    for (let i = 0; i < buf.length; i += chunk) count += p.push(buf.subarray(i, i + chunk)).length;
    count += p.end().length;
    const ms = now() - t0;
    return { ms, count, bytes: buf.length, connectMs: 0, failure: p.failure };
  },

  /** listExpunged of one Cyrus folder end to end (unexpunge -l over the pooled connection, parsed as it streams). */
  expunged: () =>
    withCtx(async (ctx) => {
      const { listExpunged } = await import('../../src/core/cyrus/expunged');
      let count = 0;
      const t0 = now();
      for await (const _ of listExpunged(ctx, task.account as string, task.folder as string)) count++;
      return { ms: now() - t0, count };
    }),

  /** The last N lines of a remote log: readTail of the editor's window, then readBefore ("load more") until N lines. */
  tail: () =>
    withCtx(async (ctx) => {
      const { readTail, readBefore } = await import('../../src/core/logs/remoteFile');
      const want = task.lines as number;
      const windowBytes = task.windowBytes as number;
      const t0 = now();
      const first = await readTail(ctx, task.path as string, windowBytes);
      let transferred = first.transferred;
      const parts: Buffer[] = [first.window.bytes];
      let start = first.window.start;
      let lines = countLines(first.window.bytes);
      let requests = 1;
      while (lines < want && start > 0) {
        const more = await readBefore(ctx, task.path as string, start, windowBytes);
        transferred += more.transferred;
        parts.unshift(more.window.bytes);
        lines += countLines(more.window.bytes);
        start = more.window.start;
        requests++;
      }
      const ms = now() - t0;
      return { ms, transferred, lines, requests, windowBytes };
    }),

  /** A fresh full mirror of one account through the backup engine (runBackup kind mirror). */
  backup: () =>
    withCtx(async (ctx) => {
      const { runBackup } = await import('../../src/core/dovecot/backup');
      const t0 = now();
      const r = await runBackup(ctx, task.account as string, { kind: 'mirror', retries: 0 });
      return { ms: now() - t0, result: r as unknown };
    }),
};

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function main(): Promise<void> {
  const fn = tasks[task.task as string];
  if (!fn) throw new Error(`unknown task ${String(task.task)}`);
  const r = await fn();
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(`BENCH-RESULT ${JSON.stringify({ ...r, maxRssKb, heapPeak })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
