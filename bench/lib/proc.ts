/**
 * Timed child processes: the peers (ssh, doveadm, tail…) and the Mailops side (a bundled child node process that
 * reports its own result line). Wall time is taken with process.hrtime.bigint from spawn to 'close'.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface Timed {
  ms: number;
  code: number | null;
  signal: string | null;
  /** Bytes the process wrote on stdout (counted, not kept, unless keep). */
  stdoutBytes: number;
  stdout?: Buffer;
  stderr: string;
  /** Peak RSS of the process in KiB (VmHWM, read from /proc while it runs; 0 when it ended too fast). */
  peakRssKb: number;
}

export interface TimedOptions {
  keepStdout?: boolean;
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Send stdout straight to /dev/null (as `CMD > /dev/null` does): nothing counted. */
  stdoutToNull?: boolean;
  /** Poll /proc/PID/status VmHWM every this many ms (default: off). */
  sampleRssMs?: number;
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function timed(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const devnull = opts.stdoutToNull ? openSync('/dev/null', 'w') : undefined;
    const child = spawn(cmd, args, { stdio: ['pipe', devnull ?? 'pipe', 'pipe'], env: opts.env ?? process.env });
    if (devnull !== undefined) closeSync(devnull);
    let bytes = 0;
    const keep: Buffer[] = [];
    let stderr = '';
    let peak = 0;
    child.stdout?.on('data', (c: Buffer) => {
      bytes += c.length;
      if (opts.keepStdout) keep.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += c.toString('utf8');
    });
    const sampler = opts.sampleRssMs && child.pid ? setInterval(() => (peak = Math.max(peak, vmHwmKb(child.pid!))), opts.sampleRssMs) : undefined;
    const limit = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(limit);
      if (sampler) clearInterval(sampler);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(limit);
      if (sampler) clearInterval(sampler);
      resolve({ ms, code, signal, stdoutBytes: bytes, stdout: opts.keepStdout ? Buffer.concat(keep) : undefined, stderr, peakRssKb: peak });
    });
    child.stdin!.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** timed(), failing unless the exit code is 0. */
export async function timedOk(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<Timed> {
  const r = await timed(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-800)}`);
  return r;
}
