/**
 * Cyrus folder counts against the REAL sandbox Cyrus over the REAL sshd (the host MAILOPS_SANDBOX_HOST selects:
 * Cyrus 3.6, index version 17, or Cyrus 3.10, index version 19): every folder's count is what IMAP EXAMINE
 * says, and a mailbox whose index version Mailops does not know shows "?" with the reason, never 0.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxCmd } from '../../support/sandbox';
import { quoteImap } from '../../support/imap';
import { createTransport } from '../../../src/core/transport/index';
import type { HostContext } from '../../../src/core/hosts/context';
import { parseHostList } from '../../../src/core/hosts/model';
import { decodeMutf7 } from '../../../src/core/cyrus/utf7';
import { cli, imapAs, setup, type CyrusEnv } from './helpers';

let env: CyrusEnv;
let ctx: HostContext;

interface FolderJson {
  folder: string;
  toolName: string;
  deleted: unknown;
  messages: number | null;
  countProblem: string | null;
  path: string | null;
}
interface AccountJson {
  account: string;
  mailboxes: FolderJson[];
  messages: number | null;
  uncounted: number;
}

before(async () => {
  env = await setup();
  const hosts = JSON.parse(readFileSync(env.info.hostsFile, 'utf8'));
  const config = parseHostList(hosts).find((h) => h.name === 'sandbox-cyrus')!;
  ctx = { config, transport: createTransport(config, { prompter: { confirmHostKey: async () => false, askSecret: async () => undefined }, trustStorePath: join(env.scratch, 'kh') }) };
});

after(async () => {
  await ctx?.transport.close();
  env?.cleanup();
});

async function folders(user: string): Promise<AccountJson> {
  const r = await cli(env, ['folders', user]);
  assert.equal(r.code, 0, r.stderr);
  const a = (r.json as AccountJson[]).find((x) => x.account === user);
  assert.ok(a, `mailops folders ${user} lists the account`);
  return a;
}

/** Bytes of a command run on the mail host (stdout as bytes: a cyrus.index header is binary). */
async function onHost(argv: string[], stdin?: Buffer): Promise<Buffer> {
  const p = ctx.transport.spawn(argv, { stdin, timeoutMs: 60_000 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  p.stdout.on('data', (c: Buffer) => out.push(c));
  p.stderr.on('data', (c: Buffer) => err.push(c));
  const st = await p.exit;
  assert.equal(st.code, 0, `${argv.join(' ')} on the sandbox host: ${Buffer.concat(err).toString('utf8')}`);
  return Buffer.concat(out);
}

test('every folder of every seeded user: the count mailops folders reads equals IMAP EXISTS', async () => {
  for (const u of env.info.cyrus.users) await sandboxCmd('reseed', 'cyrus', u.name);
  let compared = 0;
  let withMessages = 0;
  for (const u of env.info.cyrus.users) {
    const account = await folders(u.name);
    assert.equal(account.uncounted, 0, JSON.stringify(account.mailboxes.filter((m) => m.countProblem)));
    const seen = new Set<string>();
    const c = await imapAs(env, u.name);
    try {
      for (const l of await c.list('*')) {
        if (/\\Noselect|\\NonExistent/i.test(l.flags)) continue;
        const answer = await c.command(['EXAMINE', quoteImap(l.name)]);
        const exists = answer.untagged.map((x) => /^\* (\d+) EXISTS/.exec(x.text)).find(Boolean);
        assert.ok(exists, `EXAMINE ${l.name} as ${u.name} answered EXISTS`);
        const folder = l.name === 'INBOX' ? 'INBOX' : decodeMutf7(l.name.slice(`INBOX${l.delimiter}`.length));
        const m = account.mailboxes.find((x) => x.folder === folder && !x.deleted);
        assert.ok(m, `${u.name}: mailops lists ${folder}`);
        assert.equal(m.countProblem, null, `${u.name} ${folder}`);
        assert.equal(m.messages, Number(exists[1]), `${u.name} ${folder}: mailops folders ${m.messages}, IMAP EXISTS ${exists[1]}`);
        seen.add(decodeMutf7(l.name));
        compared++;
        if (m.messages! > 0) withMessages++;
      }
    } finally {
      await c.logout();
    }
    for (const f of Object.keys(u.mailboxes)) assert.ok(seen.has(f), `${u.name}: seeded folder ${f} was compared`);
  }
  assert.ok(compared >= env.info.cyrus.users.reduce((n, u) => n + Object.keys(u.mailboxes).length, 0));
  assert.ok(withMessages >= 2, 'folders that hold messages were compared, not only empty ones');
});

test('an index version Mailops does not know: "?" and the reason, never 0; the other folders are still counted', async () => {
  await sandboxCmd('reseed', 'cyrus', 'bob');
  const name = 'INBOX.Mailops Version Probe';
  const c = await imapAs(env, 'bob');
  await c.create(name);
  for (const n of [1, 2]) await c.append(name, `From: probe@example.org\r\nSubject: probe ${n}\r\nMessage-ID: <probe.${n}@mailops.test>\r\n\r\nprobe\r\n`);
  await c.logout();

  const before = await folders('bob');
  const probe = before.mailboxes.find((m) => m.folder === 'Mailops Version Probe');
  assert.ok(probe?.path, JSON.stringify(before.mailboxes));
  assert.equal(probe.messages, 2);
  const file = `${probe.path}/cyrus.index`;
  const original = (await onHost(['head', '-c', '12', '--', file])).subarray(8, 12);
  // Cyrus 3.6 (Debian 12) writes index version 17, Cyrus 3.10 (Debian 13) version 19
  assert.equal(original.readUInt32BE(0), env.info.host.debian === 13 ? 19 : 17, `index version on Debian ${env.info.host.debian}`);
  const writeVersion = (bytes: Buffer) => onHost(['dd', `of=${file}`, 'bs=1', 'seek=8', 'count=4', 'conv=notrunc', 'status=none'], bytes);
  try {
    await writeVersion(Buffer.from([0, 0, 0, 21]));
    const after = await folders('bob');
    const p = after.mailboxes.find((m) => m.folder === 'Mailops Version Probe')!;
    assert.equal(p.messages, null);
    assert.equal(p.countProblem, 'index version 21 is not known to Mailops (it reads versions 12–20)');
    assert.equal(after.uncounted, 1);
    const others = after.mailboxes.filter((m) => m !== p);
    assert.ok(others.every((m) => typeof m.messages === 'number'), JSON.stringify(others));
    assert.equal(after.messages, before.messages! - 2);

    const mb = await cli(env, ['mailboxes', 'bob']);
    assert.equal(mb.code, 0, mb.stderr);
    const item = (mb.json as FolderJson[]).find((m) => m.folder === 'Mailops Version Probe')!;
    assert.deepEqual([item.messages, item.countProblem], [null, p.countProblem]);
  } finally {
    await writeVersion(original);
  }
  assert.equal((await folders('bob')).mailboxes.find((m) => m.folder === 'Mailops Version Probe')!.messages, 2);
  await sandboxCmd('reseed', 'cyrus', 'bob');
});
