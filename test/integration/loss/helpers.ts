/**
 * Shared by the "ways to lose mail" integration tests (issue 11 points 9, 10, 11, 14 and the sshd-killed
 * must-show): the REAL sandbox host of this run (MAILOPS_SANDBOX_HOST: d12 or d13), a private backup root
 * per test file (mkdtemp under /var/tmp, 0755, as the other suites make theirs), HostContexts for its
 * Dovecot and Cyrus entries over the REAL SSH transport, and commands run ON the host as root
 * (scripts/sandbox exec) for what a test does behind Mailops' back (mounts, locks, ps).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHostList, type HostConfig } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import { createTransport } from '../../../src/core/transport/index';
import { ensureSandboxUp, sandboxCmd, sandboxExec, sandboxHostId, type SandboxInfo } from '../../support/sandbox';

export interface LossEnv {
  info: SandboxInfo;
  backupRoot: string;
  dovecot: HostContext;
  cyrus: HostContext;
  cleanup(): Promise<void>;
}

export async function setupLoss(name: string): Promise<LossEnv> {
  const info = await ensureSandboxUp();
  const scratch = mkdtempSync(join(tmpdir(), `mailops-loss-${name}-`));
  const backupRoot = mkdtempSync(join('/var/tmp', `mailops-loss-${name}-`));
  chmodSync(backupRoot, 0o755); // the mail user must traverse it to the mirror (mkdtemp makes 0700)
  const hosts = parseHostList(JSON.parse(readFileSync(info.hostsFile, 'utf8')));
  const ctxFor = (server: 'dovecot' | 'cyrus', patch: (h: HostConfig) => HostConfig): HostContext => {
    const h = hosts.find((x) => x.server === server);
    assert.ok(h, `the hosts file of ${sandboxHostId()} has a ${server} entry`);
    const config = patch(h);
    return {
      config,
      transport: createTransport(config, {
        prompter: { confirmHostKey: async () => false, askSecret: async () => undefined },
        trustStorePath: join(scratch, `known_hosts.${server}`),
      }),
    };
  };
  const dovecot = ctxFor('dovecot', (h) => ({ ...h, dovecot: { ...h.dovecot, backupRoot } }));
  const cyrus = ctxFor('cyrus', (h) => ({ ...h, cyrus: { ...h.cyrus!, backupRoot } }));
  return {
    info,
    backupRoot,
    dovecot,
    cyrus,
    async cleanup() {
      await dovecot.transport.close();
      await cyrus.transport.close();
      rmSync(scratch, { recursive: true, force: true });
      rmSync(backupRoot, { recursive: true, force: true });
    },
  };
}

/** A command on the host as root; fails the test when it fails (unless `ok` accepts the code). */
export async function onHost(argv: string[], ok: (code: number) => boolean = (c) => c === 0, stdin?: string): Promise<string> {
  const r = await sandboxExec(argv, stdin);
  assert.ok(ok(r.code), `on ${sandboxHostId()}: ${argv.join(' ').slice(0, 300)} exited ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
  return r.stdout;
}

/** doveadm -c CONFIG ARGS on the host. */
export function doveadm(env: LossEnv, ...args: string[]): Promise<string> {
  return onHost(['doveadm', '-c', env.info.dovecot.config, ...args]);
}

/** sha256 of a file on the host, or 'missing'. */
export async function sha256OnHost(path: string): Promise<string> {
  return (await onHost(['sh', '-c', 'if [ -f "$1" ]; then sha256sum <"$1" | cut -d" " -f1; else echo missing; fi', 'x', path])).trim();
}

/** Whether an exclusive flock on `path` can be taken at once on the host (nobody holds it, shared or not). */
export async function lockFreeOnHost(path: string): Promise<boolean> {
  const r = await sandboxExec(['flock', '-n', '-x', path, 'true']);
  return r.code === 0;
}

/** Processes on the host whose command line matches `re` (pid and args). */
export async function processesOnHost(re: RegExp): Promise<string[]> {
  const out = await onHost(['ps', '-eo', 'pid=,args=']);
  return out.split('\n').filter((l) => re.test(l) && !/\bps -eo\b/.test(l));
}

/** Wait until `fn` is true (polling), or fail naming `what`. */
export async function waitUntil(what: string, fn: () => Promise<boolean> | boolean, ms = 30_000, step = 250): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, step));
  }
}

/** Reseed an account (a Dovecot process still writing can make the wipe fail once: try again). */
export async function reseed(server: 'dovecot' | 'cyrus', account: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await sandboxCmd('reseed', server, account);
      return;
    } catch (e) {
      if (i >= 2) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Files of the archives folder on the host (names), [] when it does not exist. */
export async function archiveFiles(dir: string): Promise<string[]> {
  const out = await onHost(['sh', '-c', '[ -d "$1" ] && ls -A "$1" || true', 'x', dir]);
  return out.split('\n').filter(Boolean).sort();
}

/** Bind-mount an empty folder (owned uid:gid) over `target` inside the host; returns the unmount function. */
export async function mountEmptyOver(target: string, uid: number, gid: number): Promise<() => Promise<void>> {
  const empty = mkdtempSync(join('/var/tmp', 'mailops-loss-empty-'));
  chmodSync(empty, 0o700);
  await onHost(['chown', `${uid}:${gid}`, empty]);
  await onHost(['mount', '--bind', empty, target]);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    // A process of the test may still have the mount busy for a moment.
    for (let i = 0; ; i++) {
      const r = await sandboxExec(['umount', target]);
      if (r.code === 0) break;
      if (i >= 10) assert.fail(`umount ${target} on ${sandboxHostId()} failed: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    rmSync(empty, { recursive: true, force: true });
  };
}
