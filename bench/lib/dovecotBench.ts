/**
 * Bench-only Dovecot instances: the sandbox's Dovecot 2.3 binaries with their own config, base_dir, passwd-file
 * and homes under /var/tmp/mailops-bench/dovecot-NAME, so bench accounts never appear in the sandbox's own
 * `doveadm user '*'` / `-A` (the tests count those) and `scripts/sandbox up` (which rewrites the sandbox
 * passwd-file) cannot drop them. Same mail_location, separator and mail uid/gid as the sandbox (maildir,
 * LAYOUT=fs, "/"). No protocols: only the master and auth run, which doveadm needs for userdb lookups and -A.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR } from './env';

const run = promisify(execFile);

export interface BenchDovecot {
  name: string;
  dir: string;
  /** doveadm -c CONF */
  conf: string;
  homeOf(user: string): string;
}

const started = new Set<string>();

function confText(dir: string, name: string, uid: number, gid: number): string {
  return `# Written by bench/lib/dovecotBench.ts: a bench-only instance (no protocols; doveadm only).
instance_name = mailops-bench-${name}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = none
ssl = no
first_valid_uid = ${uid}
last_valid_uid = ${uid}
first_valid_gid = ${gid}
last_valid_gid = ${gid}
mail_location = maildir:~/Maildir:LAYOUT=fs
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
`;
}

export function instance(name: string): BenchDovecot {
  const dir = path.join(BENCH_DIR, `dovecot-${name}`);
  return { name, dir, conf: path.join(dir, 'dovecot.conf'), homeOf: (u) => path.join(dir, 'home', u) };
}

/** Write the config and passwd-file (users: names, all with the mail uid/gid) and start the instance. */
export async function startInstance(name: string, users: readonly string[], uid: number, gid: number): Promise<BenchDovecot> {
  const inst = instance(name);
  mkdirSync(path.join(inst.dir, 'run'), { recursive: true });
  mkdirSync(path.join(inst.dir, 'state'), { recursive: true });
  mkdirSync(path.join(inst.dir, 'home'), { recursive: true });
  writeFileSync(inst.conf, confText(inst.dir, name, uid, gid));
  // user:password:uid:gid::home:: (no password login: the instance has no protocols anyway)
  writeFileSync(path.join(inst.dir, 'passwd'), users.map((u) => `${u}:{CRYPT}!:${uid}:${gid}::${inst.homeOf(u)}::\n`).join(''));
  if (!(await running(inst))) {
    // The master daemonizes; its stdio must not be our pipes (execFile would wait for them to close).
    await new Promise<void>((resolve, reject) => {
      const c = spawn('dovecot', ['-c', inst.conf], { stdio: 'ignore' });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dovecot -c ${inst.conf} exited ${code}: ${tail(path.join(inst.dir, 'dovecot.log'))}`))));
    });
    const until = Date.now() + 15_000;
    while (!existsSync(path.join(inst.dir, 'run', 'auth-userdb'))) {
      if (Date.now() > until) throw new Error(`bench Dovecot ${name} did not start: ${tail(path.join(inst.dir, 'dovecot.log'))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } else {
    await run('doveadm', ['-c', inst.conf, 'reload']).catch(() => undefined);
  }
  started.add(name);
  return inst;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

async function running(inst: BenchDovecot): Promise<boolean> {
  const pidFile = path.join(inst.dir, 'run', 'master.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(inst.conf);
  } catch {
    return false;
  }
}

/** Stop every bench instance (those started in this process and any left from an earlier run). */
export async function stopAll(): Promise<void> {
  const names = new Set(started);
  if (existsSync(BENCH_DIR)) for (const d of readdirSync(BENCH_DIR)) if (d.startsWith('dovecot-')) names.add(d.slice('dovecot-'.length));
  for (const n of names) {
    const inst = instance(n);
    if (await running(inst)) await run('doveadm', ['-c', inst.conf, 'stop']).catch(() => undefined);
  }
  started.clear();
}
