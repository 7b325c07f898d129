/**
 * The run machinery of script.ts in a real sh: mo_safe_dir (11.14: the backup root's path is checked, and
 * what is made is owner-only) and the watchdog that stops a run whose connection is gone (the "sshd killed"
 * must-show: no tool left running, temporary files removed, lock free). The connection is played by a
 * parent process that starts the script in a session of its own, as sshd does, and is then SIGKILLed.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, chmodSync, chownSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScriptBuilder, sh, type BuiltScript } from '../../../src/core/backup/script';
import { supervisedArgv } from '../../../src/core/backup/supervise';
import { parseStepLine } from '../../../src/core/backup/runlog';

const scratch = mkdtempSync(join(tmpdir(), 'mailops-guards-'));
chmodSync(scratch, 0o755);
after(() => rmSync(scratch, { recursive: true, force: true }));

function safeDir(path: string, mode = '0711') {
  const b = new ScriptBuilder('t');
  b.param('P', path);
  b.param('MODE', mode);
  b.add(sh`if mo_safe_dir "$P" "$MODE"; then echo SAFE; else echo REFUSED; fi`);
  const built = b.build();
  const r = spawnSync('sh', ['-c', built.script, built.name, ...built.args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const fail = r.stdout.split('\n').map(parseStepLine).find((l) => l?.step === 'path' && l.status === 'fail');
  return { safe: r.stdout.trim().endsWith('SAFE') && !r.stdout.includes('REFUSED'), reason: fail?.fields.reason ?? null, path: fail?.fields.path ?? null };
}

describe('11.14 mo_safe_dir (real sh, real files)', () => {
  test('makes missing components one by one: 0700 above, the given mode for the last', () => {
    const p = join(scratch, 'made/a/b');
    assert.deepEqual(safeDir(p, '0711'), { safe: true, reason: null, path: null });
    assert.equal(statSync(join(scratch, 'made')).mode & 0o7777, 0o700);
    assert.equal(statSync(join(scratch, 'made/a')).mode & 0o7777, 0o700);
    assert.equal(statSync(p).mode & 0o7777, 0o711);
    assert.equal(safeDir(p).safe, true, 'an existing safe path is accepted again');
  });

  test('a relative path, . and .. components are refused', () => {
    assert.equal(safeDir('var/backups/mailops').reason, 'relative');
    assert.equal(safeDir(`${scratch}/../x`).reason, 'dot-component');
    assert.equal(safeDir(`${scratch}/./x`).reason, 'dot-component');
  });

  test('a symlinked component is refused, and nothing is made where it points', () => {
    const target = join(scratch, 'target');
    mkdirSync(target);
    symlinkSync(target, join(scratch, 'link'));
    assert.deepEqual(safeDir(join(scratch, 'link/x/y')), { safe: false, reason: 'symlink', path: join(scratch, 'link') });
    assert.equal(existsSync(join(target, 'x')), false);
  });

  test('a component writable by others without the sticky bit is refused; sticky (/tmp) is accepted', () => {
    const ww = join(scratch, 'ww');
    mkdirSync(ww);
    chmodSync(ww, 0o777);
    assert.deepEqual(safeDir(join(ww, 'x')), { safe: false, reason: 'writable', path: ww });
    chmodSync(ww, 0o1777);
    assert.equal(safeDir(join(ww, 'x')).safe, true);
    assert.equal(lstatSync(join(ww, 'x')).isDirectory(), true);
  });

  test('a component owned by another user is refused (the tests run as root, as npm test does)', () => {
    const other = join(scratch, 'other');
    mkdirSync(other);
    chownSync(other, 65534, 65534);
    assert.deepEqual(safeDir(join(other, 'x')), { safe: false, reason: 'owner', path: other });
    assert.equal(existsSync(join(other, 'x')), false);
  });

  test('a component that is a file is refused', () => {
    const f = join(scratch, 'file');
    spawnSync('sh', ['-c', ': >"$1"', 'x', f]);
    assert.equal(safeDir(join(f, 'x')).reason, 'not-a-directory');
  });
});

/** Start argv the way sshd starts a command: in a session of its own, under a parent we can kill. */
function underConnection(argv: string[]) {
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const { spawn } = require('child_process');
       const a = JSON.parse(process.argv[1]);
       const c = spawn(a[0], a.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
       c.stdout.on('data', () => {}); c.stderr.on('data', () => {});
       console.log(c.pid);
       setInterval(() => {}, 1000);`,
      JSON.stringify(argv),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  return { parent, pid };
}

function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(what: string, fn: () => boolean, ms = 20_000) {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function lockFree(lock: string): boolean {
  return spawnSync('flock', ['-n', lock, 'true']).status === 0;
}

describe('the watchdog: a run whose connection is gone stops itself', () => {
  test('the tool in front is stopped, the run logs connection-lost, its temp folder goes, the lock is free', async () => {
    const dir = mkdtempSync(join(scratch, 'watch-'));
    const b = new ScriptBuilder('mailops-watch-test');
    b.param('LOGF', join(dir, 'run.log'));
    b.param('LOCKF', join(dir, 'lock'));
    b.param('TOOLPID', join(dir, 'tool.pid'));
    b.param('TMPF', join(dir, 'tmp.path'));
    b.add(sh`MO_LOG="$LOGF"
printf '%s' "$MO_TMP" >"$TMPF"
mo_lock "$LOCKF" 5 no || exit 1
mo_line run start
mo_tool - sh -c 'echo $$ >"$1"; exec sleep 60' tool "$TOOLPID"
mo_line tool ok rc "$MO_RC"
mo_finish 0`);
    const built = b.build();
    const { parent, pid } = underConnection(built.argv);
    const script = await pid;
    await waitFor('the tool to start', () => existsSync(join(dir, 'tool.pid')) && readFileSync(join(dir, 'tool.pid'), 'utf8').trim() !== '');
    const tool = Number(readFileSync(join(dir, 'tool.pid'), 'utf8').trim());
    assert.ok(alive(tool) && alive(script));
    assert.equal(lockFree(join(dir, 'lock')), false, 'the run holds its lock');
    parent.kill('SIGKILL');
    await waitFor('the tool to be stopped', () => !alive(tool));
    await waitFor('the script to end', () => !alive(script));
    const log = readFileSync(join(dir, 'run.log'), 'utf8');
    const last = log.trim().split('\n').map(parseStepLine).at(-1);
    assert.equal(last?.step, 'run');
    assert.equal(last?.status, 'fail');
    assert.equal(last?.fields.reason, 'connection-lost');
    assert.doesNotMatch(log, / tool ok /, 'the run did not go on after the tool');
    assert.equal(existsSync(readFileSync(join(dir, 'tmp.path'), 'utf8')), false, 'its temporary folder is removed');
    await waitFor('the lock to be free', () => lockFree(join(dir, 'lock')), 5000);
  });

  test('while the connection stays, a run is not disturbed (several watchdog periods)', () => {
    const b = new ScriptBuilder('t');
    b.add(sh`mo_tool - sleep 5; mo_finish 0`);
    const built = b.build();
    const r = spawnSync(built.argv[0]!, built.argv.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, / run result ok=yes exit=0/);
  });

  test('an installed schedule has no watchdog (cron and systemd outlive their runs)', () => {
    const b = new ScriptBuilder('t');
    b.add(sh`true`);
    const built: BuiltScript = b.build();
    assert.match(built.script, /\nmo_watch\n/);
    assert.doesNotMatch(built.fileText('m'), /\nmo_watch\n/);
  });

  test('supervisedArgv: the exit code passes through, and a lost connection stops the command', async () => {
    const r = spawnSync('sh', supervisedArgv('mailops-test', ['sh', '-c', 'echo "out $1"; echo err >&2; exit 7', 'x', "it's $(id)"]).slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 7);
    assert.equal(r.stdout, "out it's $(id)\n");
    assert.equal(r.stderr, 'err\n');
    const dir = mkdtempSync(join(scratch, 'sup-'));
    const { parent, pid } = underConnection(supervisedArgv('mailops-test', ['sh', '-c', 'echo $$ >"$1"; exec sleep 60', 'x', join(dir, 'pid')]));
    const script = await pid;
    await waitFor('the command to start', () => existsSync(join(dir, 'pid')) && readFileSync(join(dir, 'pid'), 'utf8').trim() !== '');
    const cmd = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    parent.kill('SIGKILL');
    await waitFor('the command to be stopped', () => !alive(cmd));
    await waitFor('the supervisor to end', () => !alive(script));
  });
});
