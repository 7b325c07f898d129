/**
 * Bench data, written straight into the bench instances' maildirs (the sandbox is this machine) and then
 * indexed by Dovecot. Each data set records how long it took in a manifest beside it, so a rerun reuses it and
 * the table still shows the generation time (and says it was reused).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchDovecot } from './dovecotBench';
import { nowMs } from './stats';

const run = promisify(execFile);

export interface Generated {
  /** Milliseconds to write the data (files/directories). */
  writeMs: number;
  /** Milliseconds of the first Dovecot pass over it (index creation), when measured. */
  indexMs?: number;
  at: string;
  /** True when this run reused data generated earlier. */
  reused: boolean;
  [k: string]: unknown;
}

export function manifest(dir: string, key: string): Generated | null {
  const f = path.join(dir, `generated-${key}.json`);
  if (!existsSync(f)) return null;
  return { ...(JSON.parse(readFileSync(f, 'utf8')) as Generated), reused: true };
}

export function saveManifest(dir: string, key: string, g: { writeMs: number; indexMs?: number; [k: string]: unknown }): Generated {
  const full = { ...g, at: new Date().toISOString() };
  writeFileSync(path.join(dir, `generated-${key}.json`), JSON.stringify(full, null, 2));
  return { ...full, reused: false };
}

export async function chownR(dir: string, uid: number, gid: number): Promise<void> {
  await run('chown', ['-R', `${uid}:${gid}`, dir]);
}

function maildir(dir: string): void {
  for (const s of ['cur', 'new', 'tmp']) mkdirSync(path.join(dir, s), { recursive: true });
}

/** `perUser` mailboxes for each user: INBOX plus box001… (LAYOUT=fs: one maildir per mailbox). */
export async function generateMailboxes(inst: BenchDovecot, users: readonly string[], perUser: number, uid: number, gid: number): Promise<number> {
  const t0 = nowMs();
  for (const u of users) {
    const root = path.join(inst.homeOf(u), 'Maildir');
    maildir(root);
    for (let i = 1; i < perUser; i++) maildir(path.join(root, `box${String(i).padStart(4, '0')}`));
  }
  await chownR(path.join(inst.dir, 'home'), uid, gid);
  return nowMs() - t0;
}

const NAMES = ['Alice Martin', 'Bob Durand', 'Chloé Petit', 'Dmitri Ivanov', 'Eve Nakamura', 'Farid Haddad', 'Grace Obi'];
const TOPICS = ['Invoice', 'Meeting notes', 'Backup report', 'Re: quota', 'Newsletter', 'Travel plans', 'Fwd: contract', 'Lunch?'];
const WORDS = 'the quick brown fox jumps over the lazy dog mail backup restore mirror archive quota folder message'.split(' ');

/** A small RFC 5322 message (0.5–2.5 KB), deterministic in (user, n). */
export function message(user: string, n: number, epoch: number): Buffer {
  const name = NAMES[n % NAMES.length]!;
  const date = new Date((epoch + n * 37) * 1000).toUTCString().replace('GMT', '+0000');
  const lines: string[] = [];
  const bodyLines = 8 + (n % 30);
  for (let i = 0; i < bodyLines; i++) lines.push(Array.from({ length: 10 }, (_, k) => WORDS[(n + i * 7 + k * 3) % WORDS.length]).join(' '));
  const subject = n % 10 === 3 ? `=?UTF-8?B?${Buffer.from(`Grüße #${n}`).toString('base64')}?=` : `${TOPICS[n % TOPICS.length]} #${n}`;
  return Buffer.from(
    `Return-Path: <${name.split(' ')[0]!.toLowerCase()}@example.org>\n` +
      `From: ${name} <${name.split(' ')[0]!.toLowerCase()}@example.org>\n` +
      `To: ${user} <${user}@bench.mailops.test>\n` +
      `Subject: ${subject}\n` +
      `Date: ${date}\n` +
      `Message-ID: <bench.${user}.${n}@bench.mailops.test>\n` +
      `MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n` +
      lines.join('\n') +
      '\n',
  );
}

/**
 * `count` messages written directly as maildir files (cur/, ":2,S" seen, or new/ for every 4th), as a delivery
 * agent leaves them; Dovecot builds its uidlist and index on first access.
 */
export function writeMessages(folderDir: string, user: string, count: number, startN = 0): void {
  maildir(folderDir);
  const epoch = 1_700_000_000;
  for (let i = 0; i < count; i++) {
    const n = startN + i;
    const body = message(user, n, epoch);
    const base = `${epoch + n}.M${n}P1.bench,S=${body.length}`;
    if (n % 4 === 3) writeFileSync(path.join(folderDir, 'new', base), body);
    else writeFileSync(path.join(folderDir, 'cur', `${base}:2,S`), body);
  }
}
