/**
 * Every argv and script builder of src/core, driven with hostile strings (fast-check, fixed seed), through the
 * REAL sshd of the sandbox host (d12 or d13, MAILOPS_SANDBOX_HOST): the remote program receives exactly the
 * values, and nothing runs.
 *
 * How: each builder is called with at least 200 hostile values (quotes, `$()`, backticks, `;`, newlines, `\r`,
 * leading `-`, `*`, `%`, `&Foo-`, lone surrogates and Latin-1 bytes, 4 KiB strings); in the argv it builds, the
 * PROGRAM (argv[0], or the word after the `sudo -n [-u USER] --` prefix, which really runs) is replaced by a
 * recorder script on the host that prints who it runs as and every argument it got, NUL-separated, in hex.
 * The argv of many cases go in one command (each case's words prefixed by their count), one SSH connection
 * for everything, as the operator `mo-sh` (who may `sudo -n`), so the sudo wrappers are real too.
 * For scripts (ScriptBuilder: backup, catalogue, schedule…), the script TEXT built from the hostile value must
 * equal the text built from a harmless one (no value is ever program text), and the installed-file form
 * (`set -- ARGS…` quoted by quoteArg) is read by the host's /bin/sh and must give back the same values.
 * Throughout, /tmp/mailops-pwned (the canary every hostile `touch` names) must never appear.
 *
 * A builder may REFUSE a value (the account rule, a path rule): that is counted, must be a Mailops refusal
 * (never a crash or a command failure), and each builder states how many of its cases must get through.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PWNED_FILE } from '../../support/sandbox';
import { nastyWord } from '../../unit/transport/shellWords';
import { RecordingPrompter, rootTarget, sandboxSsh, scratch, transport } from '../transport/helpers';
import type { SshTransport } from '../../../src/core/transport/ssh';
import type { Transport } from '../../../src/core/transport/types';
import { CommandFailedError, MailopsError, TransportError } from '../../../src/core/errors';
import type { HostConfig, Privilege } from '../../../src/core/hosts/model';
import { withPrivilege } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import { privilegedArgv } from '../../../src/core/hosts/context';
import type { BuiltScript } from '../../../src/core/backup/script';
import { ScriptBuilder, sh } from '../../../src/core/backup/script';
import { doveadmArgv, doveadmMailArgs } from '../../../src/core/dovecot/doveadm';
import { guidQuery } from '../../../src/core/dovecot/restore';
import { messageQuery } from '../../../src/core/dovecot/message';
import { copyImportSource, copyOverrides } from '../../../src/core/dovecot/dialect';
import { buildDovecotBackupScript } from '../../../src/core/dovecot/backup';
import { readCatalogue } from '../../../src/core/dovecot/catalogue';
import { listArchiveChain } from '../../../src/core/dovecot/archive';
import { installDovecotSchedule, removeDovecotSchedule, dovecotScheduleStatus } from '../../../src/core/dovecot/schedule';
import { asCyrusUser, scriptArgv, toolArgv, type CyrusEnv } from '../../../src/core/cyrus/tools';
import { buildCyrusBackupScript } from '../../../src/core/cyrus/backup';
import { cyrusCopyArgv, cyrusExtractArgv, cyrusPrepareArgv } from '../../../src/core/cyrus/restore';
import { probeArgv } from '../../../src/core/probe';
import { killTreeArgv } from '../../../src/core/transport/ssh/remoteCommand';

const SEED = 110_611;
const CASES = 200;
const OPERATOR = 'mo-sh';
/** Bytes of argv per command: well inside ARG_MAX (2 MiB) with the environment. */
const BATCH_BYTES = 512 * 1024;

const LONG_CHARS = ["'", '"', '\\', '$', '`', '(', ')', ';', '|', '&', '\n', '\r', '\t', ' ', '*', '?', '%', '-', '!', '#', 'a', 'Z', '0', 'é', '\u00ff', '😀', '\ud800'];

/** The strings every builder gets, whatever fast-check draws. */
const FIXED = [
  '-x', '--help', '-u', '-A', '--', '*', '?', 'a*', '%', 'a%b', '&Foo-', '&-', '&AOk-', 'INBOX.*', '\r', 'a\rb', 'a\nb', '\n',
  '\u00ff\u00fe', '\ud800', 'x\udfffy', '$(touch /tmp/mailops-pwned)', '`touch /tmp/mailops-pwned`', ';touch /tmp/mailops-pwned',
  '|e;touch /tmp/mailops-pwned;#', "'; touch /tmp/mailops-pwned; '", '$HOME', '${IFS}', '~', '../../etc', '-'.repeat(4096),
  'x'.repeat(4096), ' ', '',
];

function hostileValues(seed: number): string[] {
  const arb = fc.oneof(
    { arbitrary: nastyWord(PWNED_FILE), weight: 6 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...LONG_CHARS), minLength: 4096, maxLength: 4096 }), weight: 1 },
    { arbitrary: fc.constantFrom(...FIXED), weight: 2 },
  );
  const drawn = fc.sample(arb.filter((s) => !s.includes('\0')), { seed, numRuns: CASES });
  return [...FIXED, ...drawn];
}

/** Absolute-path forms of a value, for builders that take paths (some rules refuse relative paths). */
const asPath = (v: string) => `/var/tmp/mailops-h/${v}`;

let ssh: Awaited<ReturnType<typeof sandboxSsh>>;
let t: SshTransport;
const tmp = scratch();
let recDir: string;
let REC: string;

before(async () => {
  ssh = await sandboxSsh();
  assert.ok(ssh.sudoUsers.some((u) => u.name === OPERATOR), `the sandbox has the operator ${OPERATOR}`);
  rmSync(PWNED_FILE, { force: true });
  // /var/tmp is shared by the machine and the sandbox hosts: the recorder written here runs there.
  recDir = mkdtempSync('/var/tmp/mailops-builders-');
  chmodSync(recDir, 0o755);
  REC = join(recDir, 'rec');
  writeFileSync(REC, "#!/bin/sh\n{ id -un | tr -d '\\n'; printf '\\0'; printf '%s\\0' \"$@\"; } | od -An -v -tx1 | tr -d ' \\n'\n");
  chmodSync(REC, 0o755);
  t = transport(rootTarget(ssh, tmp.dir, { user: OPERATOR }), new RecordingPrompter(), `${tmp.dir}/trust`);
});

after(async () => {
  await t?.close();
  tmp.done();
  if (recDir) rmSync(recDir, { recursive: true, force: true });
  assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a value was executed`);
});

// ---------------------------------------------------------------------------------------------------------
// Builders

const SUDO: Privilege = { mode: 'sudo' };

function host(over: Partial<HostConfig> = {}): HostConfig {
  return {
    name: 'sandbox-h',
    transport: 'ssh',
    ssh: { host: '127.0.0.1' },
    server: 'dovecot',
    dovecot: { config: '/etc/dovecot/dovecot.conf', backupRoot: '/var/tmp/mailops-h-root' },
    cyrus: { config: '/etc/imapd.conf', backupRoot: '/var/tmp/mailops-h-root' },
    privilege: SUDO,
    ...over,
  } as HostConfig;
}

function cyrusEnv(over: Partial<CyrusEnv> & { partitions?: Record<string, string> } = {}): CyrusEnv {
  return {
    probe: { configDirectory: '/var/lib/cyrus', partitions: over.partitions ?? { default: '/var/spool/cyrus/mail' } } as unknown as CyrusEnv['probe'],
    style: { unixHierarchySep: false },
    config: over.config ?? '/etc/imapd.conf',
    toolsDir: over.toolsDir ?? '/usr/lib/cyrus/bin',
  };
}

class Captured extends Error {}

/** A transport that records the first argv it is asked to run and stops the caller there. */
function capturing(h: HostConfig): { ctx: HostContext; argv: () => string[] } {
  let seen: string[] | null = null;
  const stop = (argv: readonly string[]) => {
    seen = [...argv];
    throw new Captured('captured');
  };
  const tr = { run: async (argv: readonly string[]) => stop(argv), spawn: (argv: readonly string[]) => stop(argv), close: async () => undefined } as unknown as Transport;
  return {
    ctx: { config: h, transport: tr },
    argv: () => {
      assert.ok(seen, 'the function ran no command');
      return seen;
    },
  };
}

async function captureArgv(h: HostConfig, call: (ctx: HostContext) => Promise<unknown>): Promise<string[]> {
  const c = capturing(h);
  try {
    await call(c.ctx);
  } catch (e) {
    if (!(e instanceof Captured)) throw e;
  }
  return c.argv();
}

interface Built {
  argv: string[];
  /** The installable form of a built script, when the builder makes one. */
  script?: BuiltScript;
}

interface Builder {
  name: string;
  /** How many of the cases must get past the builder's own checks (the rest must be UsageErrors). */
  minThrough: number;
  build(v: string): Promise<Built> | Built;
}

const cyrusCtx = (h = host({ server: 'cyrus' })): HostContext => ({ config: h, transport: null as unknown as Transport });
const sbScript = (b: BuiltScript): Built => ({ argv: withPrivilege(b.argv, SUDO), script: b });

const ALL = 1;
const BUILDERS: Builder[] = [
  { name: 'doveadmArgv: config, -o value, args', minThrough: ALL, build: (v) => ({ argv: doveadmArgv(host({ dovecot: { config: v } }), ['mailbox', 'list', v], { mail_location: v }) }) },
  { name: 'doveadmMailArgs: account (the Dovecot account rule)', minThrough: 0.5, build: (v) => ({ argv: doveadmArgv(host(), doveadmMailArgs(['fetch'], v, ['text'], ['mailbox', 'INBOX'])) }) },
  { name: 'doveadmMailArgs: mailbox and option values', minThrough: ALL, build: (v) => ({ argv: doveadmArgv(host(), doveadmMailArgs(['mailbox', 'status'], 'alice', ['-t', v], [v, v])) }) },
  { name: 'guidQuery', minThrough: ALL, build: (v) => ({ argv: doveadmArgv(host(), doveadmMailArgs(['search'], 'alice', [], guidQuery([v, `${v}2`, v]))) }) },
  { name: 'messageQuery: mailbox', minThrough: ALL, build: (v) => ({ argv: doveadmArgv(host(), doveadmMailArgs(['fetch'], 'alice', ['text'], messageQuery({ uid: 7 }, v))) }) },
  { name: 'messageQuery: GUID (refused when not a GUID form)', minThrough: 0.3, build: (v) => ({ argv: doveadmArgv(host(), doveadmMailArgs(['fetch'], 'alice', ['text'], messageQuery({ guid: v }, v))) }) },
  {
    name: 'copyImportSource / copyOverrides (2.3, 2.4)',
    minThrough: 0.5,
    build: (v) => {
      const copy = { dir: asPath(v), layout: 'fs' as const };
      return { argv: doveadmArgv(host(), doveadmMailArgs(['import'], 'alice', ['-s', ...copyImportSource('2.4', copy), ...copyImportSource('2.3', copy)], ['mailbox', v]), { ...copyOverrides('2.3', copy), ...copyOverrides('2.4', copy) }) };
    },
  },
  { name: 'withPrivilege sudo -n -u', minThrough: ALL, build: (v) => ({ argv: withPrivilege(['printf', v, v], { mode: 'sudo-user', user: 'cyrus' }) }) },
  { name: 'privilegedArgv', minThrough: ALL, build: (v) => ({ argv: privilegedArgv(cyrusCtx(), ['printf', '--', v]) }) },
  { name: 'asCyrusUser', minThrough: ALL, build: (v) => ({ argv: asCyrusUser(cyrusCtx(), ['printf', v]) }) },
  { name: 'toolArgv: tools dir, config, options, operands', minThrough: ALL, build: (v) => ({ argv: toolArgv(cyrusCtx(), cyrusEnv({ toolsDir: asPath(v), config: asPath(v) }), 'mbexamine', ['-u', v], [v, `user.${v}`]) }) },
  { name: 'scriptArgv', minThrough: ALL, build: (v) => ({ argv: scriptArgv(cyrusCtx(), 'mailops-x', 'printf "%s\\n" "$@"', [v, v]) }) },
  { name: 'cyrusPrepareArgv', minThrough: ALL, build: (v) => ({ argv: cyrusPrepareArgv(cyrusCtx(), asPath(v), v, [asPath(v), v]) }) },
  { name: 'cyrusExtractArgv', minThrough: ALL, build: (v) => ({ argv: cyrusExtractArgv(cyrusCtx(), asPath(v), v, [v]) }) },
  { name: 'cyrusCopyArgv', minThrough: ALL, build: (v) => ({ argv: cyrusCopyArgv(cyrusCtx(), v, asPath(v), v) }) },
  { name: 'probeArgv: configured paths (absolute, no control characters)', minThrough: 0.3, build: (v) => ({ argv: probeArgv({ config: host({ server: 'detect', dovecot: { config: asPath(v) }, cyrus: { config: asPath(v) } }), transport: null as unknown as Transport }) }) },
  { name: 'killTreeArgv', minThrough: ALL, build: (v) => ({ argv: killTreeArgv(['sudo', '-n', '--', 'sleep', v], 'TERM', 4_000_000) }) },
  {
    name: 'ScriptBuilder: params',
    minThrough: ALL,
    build: (v) => {
      const b = new ScriptBuilder('mailops-x');
      const a = b.param('A', v);
      const c = b.param('B', `${v}${v}`);
      b.add(sh`printf '%s\n' ${a} ${c}`);
      return sbScript(b.build());
    },
  },
  { name: 'buildDovecotBackupScript: account', minThrough: 0.5, build: (v) => sbScript(buildDovecotBackupScript(host(), v, { kind: 'full' })) },
  {
    name: 'buildDovecotBackupScript: config, backup root, hooks',
    // A backup root with a ".." component or a control character is refused before anything runs (11.14).
    minThrough: 0.5,
    build: (v) => sbScript(buildDovecotBackupScript(host({ dovecot: { config: v, backupRoot: asPath(v) }, hooks: { preBackup: [v, '-x', v], postBackup: [v] } }), 'alice', { kind: 'incr' })),
  },
  {
    name: 'buildCyrusBackupScript: paths, partitions, hooks',
    // A backup root with a ".." component or a control character is refused before anything runs (11.14).
    minThrough: 0.5,
    build: (v) => sbScript(buildCyrusBackupScript(cyrusCtx(host({ server: 'cyrus', cyrus: { backupRoot: asPath(v) }, hooks: { preBackup: [v], postBackup: [v, v] } })), cyrusEnv({ toolsDir: v, config: v, partitions: { default: v, [`p${v.length}`]: asPath(v) } }), { kind: 'full' })),
  },
  { name: 'readCatalogue (script)', minThrough: 0.5, build: async (v) => ({ argv: await captureArgv(host(), (ctx) => readCatalogue(ctx, v)) }) },
  { name: 'listArchiveChain (script)', minThrough: 0.5, build: async (v) => ({ argv: await captureArgv(host(), (ctx) => listArchiveChain(ctx, v)) }) },
  { name: 'installDovecotSchedule (schedule script carrying the backup script file)', minThrough: 0.5, build: async (v) => ({ argv: await captureArgv(host(), (ctx) => installDovecotSchedule(ctx, v, { kind: 'full' }, '*/15 * * * *')) }) },
  { name: 'removeDovecotSchedule (script)', minThrough: 0.5, build: async (v) => ({ argv: await captureArgv(host(), (ctx) => removeDovecotSchedule(ctx, v, 'full')) }) },
  { name: 'dovecotScheduleStatus (script)', minThrough: 0.5, build: async (v) => ({ argv: await captureArgv(host(), (ctx) => dovecotScheduleStatus(ctx, v, 'incr')) }) },
];

// ---------------------------------------------------------------------------------------------------------
// Running on the host

/** Index of the program word: argv[0], or the word after a `sudo -n [-u USER] --` prefix. */
function programIndex(argv: readonly string[]): number {
  if (argv[0] !== 'sudo') return 0;
  const i = argv.indexOf('--');
  assert.ok(i > 0 && i <= 4, `unexpected sudo prefix in ${JSON.stringify(argv.slice(0, 6))}`);
  return i + 1;
}

/** Who the program runs as: the operator, root (sudo -n), or the -u user. */
function runsAs(prefix: readonly string[]): string {
  if (!prefix.length) return OPERATOR;
  const u = prefix.indexOf('-u');
  return u >= 0 ? prefix[u + 1]! : 'root';
}

/** The recorder's output: hex of `USER\0ARG\0ARG\0…`, possibly several runs one after another. */
function decode(hex: string): Buffer[] {
  assert.match(hex, /^([0-9a-f]{2})*$/, `the recorder printed something else: ${hex.slice(0, 200)}`);
  const all = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  let s = 0;
  for (let i = 0; i < all.length; i++) if (all[i] === 0) {
    out.push(all.subarray(s, i));
    s = i + 1;
  }
  assert.equal(s, all.length, 'the recorder output does not end with a NUL');
  return out;
}

const show = (v: string) => (v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}… (${v.length} chars)` : JSON.stringify(v));

interface Case {
  value: string;
  argv: string[];
}

/** Run the cases' argv (same prefix) with the program replaced by the recorder, many per command. */
async function deliver(builder: string, prefix: string[], cases: Case[]): Promise<number> {
  let checked = 0;
  let i = 0;
  while (i < cases.length) {
    const batch: Case[] = [];
    let bytes = 0;
    while (i < cases.length && (batch.length === 0 || bytes + cases[i]!.argv.reduce((a, w) => a + Buffer.byteLength(w) + 1, 0) < BATCH_BYTES)) {
      bytes += cases[i]!.argv.reduce((a, w) => a + Buffer.byteLength(w) + 1, 0);
      batch.push(cases[i++]!);
    }
    const words = batch.flatMap((c) => {
      const rest = c.argv.slice(prefix.length + 1);
      return [String(rest.length), ...rest];
    });
    const r = await t.run([...prefix, REC, ...words], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.code, 0, `${builder}: the recorder failed under ${JSON.stringify(prefix)}: ${r.stderr}`);
    const got = decode(r.stdout.trim());
    assert.equal(got[0]!.toString(), runsAs(prefix), `${builder}: the program did not run as ${runsAs(prefix)}`);
    let k = 1;
    for (const c of batch) {
      const rest = c.argv.slice(prefix.length + 1);
      assert.equal(got[k]?.toString(), String(rest.length), `${builder}, value ${show(c.value)}: word count`);
      k++;
      rest.forEach((w, j) => {
        const g = got[k + j];
        assert.ok(g && g.equals(Buffer.from(w, 'utf8')), `${builder}, value ${show(c.value)}: word ${j + 1} arrived as ${g ? show(g.toString('latin1')) : 'nothing'}, sent ${show(w)}`);
      });
      k += rest.length;
      checked++;
    }
    assert.equal(k, got.length, `${builder}: ${got.length - k} words more than sent`);
  }
  return checked;
}

/** The installed-file form of scripts: the `set -- …` line run by the host's /bin/sh gives back the values. */
async function deliverFileText(builder: string, scripts: Array<{ value: string; script: BuiltScript }>): Promise<number> {
  let checked = 0;
  let i = 0;
  while (i < scripts.length) {
    const batch = scripts.slice(i, i + 20);
    i += batch.length;
    const program = batch
      .map(({ script }) => {
        const text = script.fileText('mailops-builders test');
        const head = '#!/bin/sh\n# mailops-builders test\n';
        // The installed file runs the same script without the connection watchdog (cron and systemd
        // outlive their runs): the interactive script minus its `mo_watch` line.
        const unattended = script.script.replace(/\nmo_watch\n/, '\n');
        assert.notEqual(unattended, script.script, `${builder}: the interactive script starts the watchdog`);
        assert.ok(text.startsWith(head) && text.endsWith(`\n${unattended}`), `${builder}: unexpected file layout`);
        return `${text.slice(head.length, text.length - unattended.length - 1)}\n"$REC" "$#" "$@"`;
      })
      .join('\n');
    // on stdin: the set lines of 20 scripts with 4 KiB values outgrow one argument (128 KiB)
    const r = await t.run(['env', `REC=${REC}`, 'sh', '-s'], { stdin: program, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.code, 0, `${builder}: the installed form failed: ${r.stderr}`);
    const got = decode(r.stdout.trim());
    let k = 0;
    for (const { value, script } of batch) {
      assert.equal(got[k]?.toString(), OPERATOR);
      assert.equal(got[k + 1]?.toString(), String(script.args.length), `${builder}, value ${show(value)}: set -- gave another count`);
      k += 2;
      script.args.forEach((a, j) => {
        assert.ok(got[k + j]?.equals(Buffer.from(a, 'utf8')), `${builder}, value ${show(value)}: set -- parameter ${j + 1} came back as ${show(got[k + j]?.toString('latin1') ?? '')}`);
      });
      k += script.args.length;
      checked++;
    }
    assert.equal(k, got.length);
  }
  return checked;
}

/** The text of an `sh -c SCRIPT` in an argv, if it has one. */
function SCRIPT_WORD(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((w, j) => w === '-c' && argv[j - 1] === 'sh');
  return i > 0 ? argv[i + 1] : undefined;
}

BUILDERS.forEach((b, n) => {
  test(`11.2/11.6 builder ${b.name}: ${CASES}+ hostile values reach the host exactly, nothing runs`, async () => {
    const values = hostileValues(SEED + n);
    assert.ok(values.length >= CASES);
    const benign = await b.build('benign');
    const benignScript = SCRIPT_WORD(benign.argv);
    const groups = new Map<string, Case[]>();
    const scripts: Array<{ value: string; script: BuiltScript }> = [];
    let refused = 0;
    for (const v of values) {
      let built: Built;
      try {
        built = await b.build(v);
      } catch (e) {
        assert.ok(e instanceof MailopsError && !(e instanceof CommandFailedError) && !(e instanceof TransportError), `${b.name}: value ${show(v)} made the builder throw ${(e as Error)?.name}: ${(e as Error)?.message}`);
        refused++;
        continue;
      }
      // A script's text never depends on a value: it is the text built from a harmless one.
      if (benignScript !== undefined) assert.equal(SCRIPT_WORD(built.argv), benignScript, `${b.name}: value ${show(v)} changed the script text`);
      const p = programIndex(built.argv);
      const key = JSON.stringify(built.argv.slice(0, p));
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push({ value: v, argv: built.argv });
      if (built.script) scripts.push({ value: v, script: built.script });
    }
    const through = values.length - refused;
    assert.ok(through >= Math.ceil(values.length * b.minThrough), `${b.name}: only ${through} of ${values.length} values got past the builder`);
    let checked = 0;
    for (const [key, cases] of groups) checked += await deliver(b.name, JSON.parse(key) as string[], cases);
    assert.equal(checked, through);
    if (scripts.length) assert.equal(await deliverFileText(b.name, scripts), scripts.length);
    assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a value was executed`);
  });
});
