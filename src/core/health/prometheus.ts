/**
 * Health as Prometheus metrics (text exposition format 0.0.4, for node_exporter's textfile collector),
 * written atomically: every sample goes, as it arrives, to a part file per metric family in the target's
 * folder (the format wants a family's samples together, and memory must not hold every account), then the
 * parts are joined into one temporary file in that folder, synced, and renamed over the target. A reader
 * sees the old file or the new one, never half of one. Nothing is left behind on failure.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AccountHealth, HostHealth } from './check';
import { VERDICTS } from './verdict';

interface Family {
  name: string;
  help: string;
}

const FAMILIES = {
  up: { name: 'mailops_host_up', help: 'Whether the health check got a complete answer from the host (1) or not (0).' },
  accounts: { name: 'mailops_host_accounts', help: 'Accounts (Dovecot) or mailbox owners (Cyrus) of the host by verdict.' },
  success: { name: 'mailops_backup_last_success_timestamp_seconds', help: 'Newest successful backup per kind (mirror: last mirror run; full, incr: newest complete archive). Cyrus backs up the whole host: account="*".' },
  verifyMissing: { name: 'mailops_verify_missing_messages', help: 'Messages older than the backup that the last verify found missing from it.' },
  verifyTime: { name: 'mailops_verify_last_timestamp_seconds', help: 'When the last verify of the account ran.' },
  verdict: { name: 'mailops_account_verdict', help: 'The account\'s health verdict (one sample per account, value 1).' },
} satisfies Record<string, Family>;

type FamilyKey = keyof typeof FAMILIES;

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;
}

const FLUSH_BYTES = 64 * 1024;

export class PrometheusFile {
  private readonly dir: string;
  private readonly base: string;
  private readonly parts = new Map<FamilyKey, { path: string; fd: number; buf: string }>();
  private readonly cyrusDone = new Set<string>();
  private closed = false;

  constructor(readonly target: string) {
    this.dir = dirname(target);
    this.base = `.${basename(target)}.${process.pid}`;
  }

  private put(key: FamilyKey, line: string): void {
    let p = this.parts.get(key);
    if (!p) {
      const path = join(this.dir, `${this.base}.${key}.part`);
      p = { path, fd: openSync(path, 'w', 0o644), buf: '' };
      this.parts.set(key, p);
    }
    p.buf += `${line}\n`;
    if (p.buf.length >= FLUSH_BYTES) {
      writeSync(p.fd, p.buf);
      p.buf = '';
    }
  }

  account(a: AccountHealth): void {
    const r = a.record;
    this.put('verdict', `${FAMILIES.verdict.name}${labels({ host: a.host, server: a.server, account: r.account, verdict: a.verdict })} 1`);
    // A Cyrus host's backup covers every owner: its times once per host, not once per owner.
    const account = a.server === 'cyrus' ? '*' : r.account;
    if (a.server === 'cyrus') {
      if (this.cyrusDone.has(a.host)) return;
      this.cyrusDone.add(a.host);
    }
    for (const kind of ['mirror', 'full', 'incr'] as const) {
      const t = r[kind];
      if (t !== null) this.put('success', `${FAMILIES.success.name}${labels({ host: a.host, server: a.server, account, kind })} ${t}`);
    }
    if (r.verify) {
      this.put('verifyMissing', `${FAMILIES.verifyMissing.name}${labels({ host: a.host, server: a.server, account })} ${r.verify.missingOlder}`);
      this.put('verifyTime', `${FAMILIES.verifyTime.name}${labels({ host: a.host, server: a.server, account })} ${Math.floor(Date.parse(r.verify.time) / 1000)}`);
    }
  }

  host(h: HostHealth): void {
    const server = h.server ?? 'unknown';
    this.put('up', `${FAMILIES.up.name}${labels({ host: h.host, server })} ${h.up ? 1 : 0}`);
    if (h.up) for (const v of VERDICTS) this.put('accounts', `${FAMILIES.accounts.name}${labels({ host: h.host, server, verdict: v })} ${h.counts[v]}`);
  }

  /** Join the parts into the target, atomically. */
  commit(): void {
    if (this.closed) throw new Error('the metrics file was already written');
    this.closed = true;
    const tmp = join(this.dir, `${this.base}.tmp`);
    const out = openSync(tmp, 'w', 0o644);
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (const key of Object.keys(FAMILIES) as FamilyKey[]) {
        const p = this.parts.get(key);
        if (!p) continue;
        if (p.buf) writeSync(p.fd, p.buf);
        closeSync(p.fd);
        const f = FAMILIES[key];
        writeSync(out, `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} gauge\n`);
        const fd = openSync(p.path, 'r');
        try {
          let n: number;
          while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) writeSync(out, chunk, 0, n);
        } finally {
          closeSync(fd);
        }
        rmSync(p.path, { force: true });
      }
      this.parts.clear();
      fsyncSync(out);
    } catch (e) {
      closeSync(out);
      rmSync(tmp, { force: true });
      this.discard();
      throw e;
    }
    closeSync(out);
    renameSync(tmp, this.target);
  }

  /** Remove the parts (on failure). */
  discard(): void {
    this.closed = true;
    for (const p of this.parts.values()) {
      try {
        closeSync(p.fd);
      } catch {
        // already closed
      }
      rmSync(p.path, { force: true });
    }
    this.parts.clear();
  }
}
