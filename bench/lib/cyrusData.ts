/**
 * Row 5's data: a dedicated bench mailbox `user.bmexp` in the sandbox's Cyrus (never alice/bob), filled over IMAP
 * as the admin (APPEND one by one, as the sandbox seeds), then flagged \Deleted and EXPUNGEd: with
 * `expunge_mode: delayed` the records stay in the index as expunged, which is what `unexpunge -l` lists.
 * Kept between runs (a manifest records how many and how long it took).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './env';
import { message } from './gen';
import { manifest, saveManifest, type Generated } from './gen';
import { fmtMs, nowMs } from './stats';
import { ImapClient, quoteImap } from '../../test/support/imap';
import type { SandboxInfo } from '../../test/support/sandbox';

export const CYRUS_BENCH_MAILBOX = 'user.bmexp';

export async function prepareExpunged(sb: SandboxInfo, count: number, log: (m: string) => void): Promise<Generated> {
  const dir = path.join(BENCH_DIR, 'cyrus');
  mkdirSync(dir, { recursive: true });
  const have = manifest(dir, `expunged-${count}`);
  if (have) return have;
  const [host, port] = sb.cyrus.imap.split(':') as [string, string];
  const c = await ImapClient.connect({ host, port: Number(port) });
  const t0 = nowMs();
  try {
    await c.command(['LOGIN', quoteImap(sb.cyrus.admin), quoteImap(sb.cyrus.adminPassword)]);
    await c.command(['DELETE', CYRUS_BENCH_MAILBOX], { allowFailure: true });
    await c.command(['CREATE', CYRUS_BENCH_MAILBOX]);
    await c.command(['SETACL', CYRUS_BENCH_MAILBOX, sb.cyrus.admin, 'lrswipkxtecda']);
    for (let i = 0; i < count; i++) {
      await c.append(CYRUS_BENCH_MAILBOX, message('bmexp', i, 1_700_000_000).toString('utf8').replace(/\n/g, '\r\n')); // IMAP wants CRLF
      if (i > 0 && i % 5000 === 0) log(`cyrus: appended ${i} in ${fmtMs(nowMs() - t0)}`);
    }
    const appendMs = nowMs() - t0;
    await c.select(CYRUS_BENCH_MAILBOX);
    await c.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
    await c.command('EXPUNGE');
    await c.logout();
    return saveManifest(dir, `expunged-${count}`, { writeMs: nowMs() - t0, appendMs, count });
  } catch (e) {
    await c.logout().catch(() => undefined);
    throw e;
  }
}
