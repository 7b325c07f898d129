/**
 * scripts/lib/install.sh as `npm test` runs it when an older Node's npm started it: npm leaves its lifecycle
 * environment behind (npm_config_user_agent="npm/… node/v20 …", NODE, npm_execpath …) and the system's Node
 * first on PATH. code-server's postinstall takes its Node version from npm_config_user_agent and refuses
 * anything but 24, so mailops_ensure_code_server must hand the inner npm a user agent naming the Node that
 * really runs it.
 *
 * The package installed is a stand-in (test/fixtures/code-server-stub, packed here with `npm pack`) whose
 * postinstall checks the user agent the way code-server's does and records what it saw. It goes through the
 * same function as the real code-server (MAILOPS_CODE_SERVER_SPEC), into a temporary directory, from a local
 * .tgz with a temporary npm cache: nothing is fetched.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '../../..');
const STUB = path.join(REPO, 'test/fixtures/code-server-stub');
/** What npm 10.8.2 on Node 20.19.0 puts in the environment of `npm test`. */
const OLD_USER_AGENT = 'npm/10.8.2 node/v20.19.0 linux x64 workspaces/false';
/** The machine's own Node (Debian's or NodeSource's), which is what a fresh machine's `npm test` starts with. */
const SYSTEM_BIN = existsSync('/usr/bin/node') ? '/usr/bin' : path.dirname(process.execPath);

let tmp: string;
let tgz: string;

function bash(script: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', script], { cwd: REPO, env, encoding: 'utf8', timeout: 240_000 });
}

/** The environment of a script that `npm test` started, with npm and Node 20 (or the machine's own). */
function startedByOldNpm(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    HOME: process.env.HOME,
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    PATH: `${SYSTEM_BIN}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'C.UTF-8',
    npm_config_user_agent: OLD_USER_AGENT,
    npm_lifecycle_event: 'test',
    npm_lifecycle_script: 'bash scripts/test',
    npm_package_name: 'mailops',
    npm_package_json: path.join(REPO, 'package.json'),
    npm_config_local_prefix: REPO,
    npm_node_execpath: path.join(SYSTEM_BIN, 'node'),
    NODE: path.join(SYSTEM_BIN, 'node'),
    INIT_CWD: REPO,
    // Nothing here needs the registry: a local .tgz without dependencies, and a cache of its own.
    npm_config_cache: path.join(tmp, 'npm-cache'),
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

function ensureCodeServer(env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return bash('source scripts/lib/node.sh && source scripts/lib/install.sh && mailops_ensure_code_server "the install test" && node --version', env);
}

const show = (r: SpawnSyncReturns<string>): string => `exit ${String(r.status)} ${r.error ? String(r.error) : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('scripts/lib/install.sh under `npm test` started by an old Node\'s npm', () => {
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'mailops-install-test-'));
    const pack = spawnSync('npm', ['pack', '--pack-destination', tmp], { cwd: STUB, encoding: 'utf8', env: { ...process.env, npm_config_cache: path.join(tmp, 'npm-cache') } });
    assert.equal(pack.status, 0, `npm pack of ${STUB}: ${show(pack)}`);
    const packed = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    assert.deepEqual(packed, ['code-server-0.0.0-mailops-stub.tgz']);
    tgz = path.join(tmp, packed[0]!);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('mailops_ensure_code_server: the package\'s postinstall runs under npm with Node 24 and a user agent naming it', () => {
    const dir = path.join(tmp, 'code-server');
    const report = path.join(tmp, 'postinstall.json');
    const env = startedByOldNpm({ MAILOPS_CODE_SERVER_SPEC: tgz, MAILOPS_CODE_SERVER_DIR: dir, MAILOPS_STUB_REPORT: report });
    const systemNode = spawnSync(path.join(SYSTEM_BIN, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`simulated: npm test started with "${OLD_USER_AGENT}", ${path.join(SYSTEM_BIN, 'node')} (${systemNode}) first on PATH`);
    const r = ensureCodeServer(env);
    assert.equal(r.status, 0, `mailops_ensure_code_server failed:\n${show(r)}`);
    assert.match(r.stderr, /^mailops: installing file:\S+code-server-0\.0\.0-mailops-stub\.tgz into \S+ with npm on Node v24\.\d+\.\d+ \(needed for the install test/m);

    assert.ok(existsSync(report), `the postinstall never ran (no ${report}):\n${show(r)}`);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { node: string; userAgent: string | null; lifecycleEvent: string | null };
    console.log(`postinstall saw: ${JSON.stringify(seen)}`);
    const major = Number(/^v(\d+)\./.exec(seen.node)?.[1]);
    assert.ok(major >= 22, `the postinstall ran on Node ${seen.node}`);
    assert.equal(major, 24, `code-server's postinstall requires Node 24; it ran on ${seen.node}`);
    assert.equal(seen.lifecycleEvent, 'postinstall', 'npm ran the postinstall (not the fallback that runs it by hand)');
    assert.ok(seen.userAgent?.includes(` node/${seen.node} `), `the user agent names the Node that runs the postinstall: ${String(seen.userAgent)}`);
    assert.doesNotMatch(seen.userAgent ?? '', /node\/v20\./, 'the outer npm\'s user agent did not leak through');
    // The shell that called it now runs Node 24 (the VS Code server must run on the Node that built it).
    assert.match(r.stdout.trim(), /^v24\./);
    assert.ok(existsSync(path.join(dir, 'node_modules/code-server/lib/vscode/node_modules/kerberos/build')), 'the postinstall\'s "native module" is there');
  });

  test('a second call finds it installed: installs nothing, prints nothing', () => {
    const dir = path.join(tmp, 'code-server');
    const report = path.join(tmp, 'postinstall.json');
    rmSync(report, { force: true });
    const r = ensureCodeServer(startedByOldNpm({ MAILOPS_CODE_SERVER_SPEC: tgz, MAILOPS_CODE_SERVER_DIR: dir, MAILOPS_STUB_REPORT: report }));
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stderr, '', 'no install line when it is there');
    assert.ok(!existsSync(report), 'the postinstall did not run again');
  });

  test('mailops_ensure_apt and mailops_ensure_chromium print nothing for what is installed', () => {
    // dpkg is Essential on Debian: always installed, so this must not reach apt-get.
    const r = bash('source scripts/lib/install.sh && mailops_ensure_apt "the install test" dpkg && MAILOPS_CHROMIUM=/bin/sh mailops_ensure_chromium "the install test"', startedByOldNpm({}));
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '');
  });

  test('mailops_ensure_chromium with MAILOPS_CHROMIUM pointing nowhere fails, naming it', () => {
    const r = bash('source scripts/lib/install.sh && MAILOPS_CHROMIUM=/nonexistent/chromium mailops_ensure_chromium "the install test"', startedByOldNpm({}));
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /^mailops: error: MAILOPS_CHROMIUM=\/nonexistent\/chromium is not an executable \(needed for the install test\)/m);
  });
});
