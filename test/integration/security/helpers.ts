/**
 * Shared by the security tests: the CLI run as a subprocess (optionally on a pseudo-terminal, as an operator
 * types a password), and a sampler of the sandbox host's process table that looks for secrets without
 * ever putting them on a command line itself.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { shellLine } from '../../../src/core/transport/quote';
import { sandboxExec, type SandboxRun } from '../../support/sandbox';

export const ROOT = resolve(__dirname, '../../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI (src/cli/main.ts through tsx), never through a shell. */
export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 180_000): Promise<CliRun> {
  const argv = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args];
  const procEnv: NodeJS.ProcessEnv = { ...process.env, MAILOPS_HOST: '', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete procEnv[k];
  return new Promise((res, rej) => {
    execFile(process.execPath, argv, { cwd: ROOT, env: procEnv, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return rej(new Error(`the CLI did not run: ${err.message}\n${stderr}`));
      res({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/**
 * The CLI on a pseudo-terminal (util-linux `script`), answering prompts as a person types: each time the
 * output matches `answers[i].when`, `answers[i].type` and a newline are typed. The transcript is what the
 * terminal showed (the CLI turns echo off for secrets, so a typed password shows only if it leaks).
 */
export function cliOnTty(args: string[], answers: Array<{ when: RegExp; type: string }>, env: Record<string, string | undefined> = {}, timeoutMs = 180_000): Promise<CliRun> {
  const command = shellLine([process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args]);
  const procEnv: NodeJS.ProcessEnv = { ...process.env, MAILOPS_HOST: '', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete procEnv[k];
  return new Promise((res, rej) => {
    const child = spawn('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { cwd: ROOT, env: procEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let next = 0;
    let seen = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`the CLI on a tty did not finish within ${timeoutMs} ms; it showed:\n${out}`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      while (next < answers.length && answers[next]!.when.test(out.slice(seen))) {
        seen = out.length;
        child.stdin.write(`${answers[next]!.type}\n`);
        next++;
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      res({ code: code ?? 1, stdout: out, stderr: err });
    });
  });
}

/** Lines of a sample: `LEAK …` when a secret was found, `SEEN …` for a process the operation must show. */
export interface ProcSamples {
  /** Iterations the sampler made over every /proc/PID/cmdline and environ. */
  rounds: number;
  /** Process-table text that contained one of the secrets (empty when none leaked). */
  leaks: string[];
  /** The marker strings seen, with the number of rounds each was seen in. */
  seen: Map<string, number>;
}

/**
 * Sample every process's command line and environment on the sandbox host as root, in a tight loop, while
 * the caller runs an operation. The secrets go to the sampler in a 0600 file (grep -f), never in an argv:
 * the sampler must not leak what it looks for. `markers` (extended regexps) prove the sampling covered the
 * operation: e.g. the IMAP bridge process of the undelete.
 */
export async function sampleProcesses<T>(secrets: string[], markers: string[], during: () => Promise<T>): Promise<{ result: T; samples: ProcSamples }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-secret-scan-'));
  const pw = join(dir, 'secrets');
  const marks = join(dir, 'markers');
  const out = join(dir, 'samples');
  const stop = join(dir, 'stop');
  writeFileSync(pw, `${secrets.join('\n')}\n`, { mode: 0o600 });
  writeFileSync(marks, `${markers.join('\n')}\n`, { mode: 0o600 });
  // One round: every cmdline and environ in one `cat` (fast enough to catch a process living ~50 ms).
  const script = String.raw`pw=$1; marks=$2; out=$3; stop=$4; snap=$out.snap; n=0
: > "$out"
while [ ! -e "$stop" ]; do
  n=$((n+1))
  cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' > "$snap"
  if grep -q -F -f "$pw" "$snap"; then grep -F -f "$pw" "$snap" | head -n 5 | sed "s/^/LEAK $n /" >> "$out"; fi
  grep -o -E -f "$marks" "$snap" | sort -u | sed "s/^/SEEN $n /" >> "$out"
  [ "$n" = 1 ] && echo "STARTED" >> "$out"
done
echo "ROUNDS $n" >> "$out"
rm -f "$snap"`;
  const sampler: Promise<SandboxRun> = sandboxExec(['sh', '-c', script, 'mailops-sampler', pw, marks, out, stop], undefined, 600_000);
  try {
    const deadline = Date.now() + 30_000;
    while (!readSafe(out).includes('STARTED')) {
      if (Date.now() > deadline) throw new Error(`the process sampler did not start on the host: ${readSafe(out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await during();
    writeFileSync(stop, '');
    const run = await sampler;
    if (run.code !== 0) throw new Error(`the process sampler failed (exit ${run.code}): ${run.stderr}`);
    const lines = readFileSync(out, 'utf8').split('\n');
    const rounds = Number(lines.find((l) => l.startsWith('ROUNDS '))?.slice(7));
    const seen = new Map<string, number>();
    for (const l of lines) {
      const m = /^SEEN \d+ (.*)$/.exec(l);
      if (m) seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
    }
    return { result, samples: { rounds, leaks: lines.filter((l) => l.startsWith('LEAK ')), seen } };
  } finally {
    writeFileSync(stop, '');
    await sampler.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Log files on the host (as root) that contain a secret: every file of `everything` (files or whole
 * folders), and the `*.log` files below `logsIn` (a state folder that also keeps, say, the sandbox's own
 * password files). grep -F with the secrets in a 0600 file, never in an argv.
 */
export async function hostFilesContaining(secrets: string[], everything: string[], logsIn: string[] = []): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-secret-grep-'));
  try {
    const pw = join(dir, 'secrets');
    writeFileSync(pw, `${secrets.join('\n')}\n`, { mode: 0o600 });
    const script = String.raw`f=$1; n=$2; shift 2
i=0
for p in "$@"; do
  i=$((i+1))
  [ -e "$p" ] || continue
  if [ "$i" -le "$n" ]; then grep -rlI -F -f "$f" -- "$p"; else find "$p" -type f -name '*.log' -exec grep -lI -F -f "$f" -- {} +; fi
done
exit 0`;
    const r = await sandboxExec(['sh', '-c', script, 'mailops-grep', pw, String(everything.length), ...everything, ...logsIn]);
    if (r.code !== 0) throw new Error(`grep on the host failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
