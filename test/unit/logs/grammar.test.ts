/**
 * The TextMate grammar, regex by regex, on real log lines (test/fixtures/logs, shared/operators/000).
 * vscode-textmate is not available here, so this applies the grammar's rules the way TextMate does for
 * single-line `match` rules: at each position the earliest match of the included rules wins (ties: the
 * first rule), captures get their scopes, and a capture with `patterns` is scanned again inside.
 * The rules use only syntax that Oniguruma and JavaScript read alike; each is compiled here.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatStepLine } from '../../../src/core/backup/runlog';

interface Rule {
  match?: string;
  name?: string;
  include?: string;
  captures?: Record<string, { name?: string; patterns?: Rule[] }>;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const ROOT = join(__dirname, '..', '..', '..');
const grammar = JSON.parse(readFileSync(join(ROOT, 'media', 'mailops-log.tmLanguage.json'), 'utf8')) as Grammar;
const fixture = (name: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'logs', name), 'utf8').split('\n').filter((l) => l !== '');

function resolve(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => (r.include ? resolve([grammar.repository[r.include.slice(1)]!]) : [r]));
}

interface Token {
  text: string;
  scope: string;
}

const compiled = new Map<string, RegExp>();
function re(src: string): RegExp {
  let r = compiled.get(src);
  if (!r) {
    r = new RegExp(src, 'dg');
    compiled.set(src, r);
  }
  return r;
}

/** Scoped tokens of a line (only the named parts). */
function tokenize(line: string, rules: Rule[] = grammar.patterns, offset = 0, out: Token[] = []): Token[] {
  const list = resolve(rules);
  let pos = 0;
  while (pos <= line.length) {
    let best: { m: RegExpExecArray; rule: Rule } | undefined;
    for (const rule of list) {
      const r = re(rule.match!);
      r.lastIndex = pos;
      const m = r.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) break;
    const { m, rule } = best;
    if (rule.name) out.push({ text: m[0], scope: rule.name });
    for (const [k, cap] of Object.entries(rule.captures ?? {})) {
      const span = m.indices![Number(k)];
      if (!span) continue;
      const text = line.slice(span[0], span[1]);
      if (cap.name) out.push({ text, scope: cap.name });
      if (cap.patterns) tokenize(text, cap.patterns, offset + span[0], out);
    }
    pos = m[0].length === 0 ? m.index + 1 : m.index + m[0].length;
  }
  return out;
}

const scoped = (line: string, scopePart: string) => tokenize(line).filter((t) => t.scope.includes(scopePart)).map((t) => t.text);

describe('mailops-log grammar', () => {
  it('is a grammar for text.log.mailops whose rules all compile', () => {
    assert.equal(grammar.scopeName, 'text.log.mailops');
    for (const [name, rule] of Object.entries(grammar.repository)) {
      assert.ok(rule.match, `${name} has a match rule`);
      assert.doesNotThrow(() => re(rule.match!), name);
      for (const c of Object.values(rule.captures ?? {})) for (const p of resolve(c.patterns ?? [])) assert.doesNotThrow(() => re(p.match!));
    }
  });

  it('highlights the operator\'s dsync warnings (shared/operators/000): account, Warning, not an error', () => {
    const lines = fixture('operator-000.txt');
    assert.deepEqual(scoped(lines[0]!, 'variable.other.account'), ['another_address at my.domain']);
    assert.deepEqual(scoped(lines[0]!, 'entity.name.function.process'), ['dsync']);
    assert.deepEqual(scoped(lines[0]!, 'warning.level'), ['Warning']);
    assert.deepEqual(scoped(lines[0]!, 'invalid.illegal'), []);
    assert.deepEqual(scoped(lines[3]!, 'warning.level'), ['Warning']);
  });

  it('highlights real doveadm backup stderr: Warning and Error levels, the account', () => {
    const lines = fixture('dsync-stderr.log');
    const modseq = lines.find((l) => l.includes('Modseq'))!;
    assert.deepEqual(scoped(modseq, 'warning.level'), ['Warning']);
    assert.deepEqual(scoped(modseq, 'variable.other.account'), ['bob']);
    const lock = lines.find((l) => l.includes("Couldn't lock"))!;
    assert.deepEqual(scoped(lock, 'invalid.illegal.error.level'), ['Error']);
    const invalid = lines.find((l) => l.startsWith('doveadm(bob): Error: Saved sync state'))!;
    assert.deepEqual(scoped(invalid, 'entity.name.function.process'), ['doveadm']);
  });

  it('highlights the Dovecot log_path file: syslog timestamps, user=<…>, imap(alice)<pid><session>', () => {
    const lines = fixture('dovecot-log_path.log');
    for (const l of lines) assert.equal(scoped(l, 'timestamp.syslog').length, 1, l);
    const login = lines.find((l) => l.includes('user=<alice>'))!;
    assert.deepEqual(scoped(login, 'variable.other.account'), ['alice']);
    const imap = lines.find((l) => l.includes('imap(alice)'))!;
    assert.deepEqual(scoped(imap, 'variable.other.account'), ['alice']);
    const warn = lines.find((l) => l.includes('master: Warning'))!;
    assert.deepEqual(scoped(warn, 'warning.level'), ['Warning']);
  });

  it('highlights Cyrus syslog and tool lines: ISO time, DBERROR, Failed to open mailbox, user.alice', () => {
    for (const l of fixture('cyrus-syslog.log')) {
      assert.equal(scoped(l, 'timestamp.iso').length, 1, l);
      assert.deepEqual(scoped(l, 'invalid.illegal.error.cyrus'), ['DBERROR'], l);
    }
    const [open, fatal] = fixture('cyrus-tools.txt');
    assert.deepEqual(scoped(open!, 'invalid.illegal.error.cyrus'), ['Failed to open mailbox']);
    assert.deepEqual(scoped(open!, 'variable.other.account'), ['alice']);
    assert.deepEqual(scoped(fatal!, 'invalid.illegal.error.cyrus'), ['fatal error']);
  });

  it('highlights Mailops step lines with their status and fields, exit codes anywhere', () => {
    const t = '2026-11-22T04:15:00Z';
    const ok = formatStepLine({ time: t, step: 'dsync', status: 'ok', fields: { account: "o'neil ü" } });
    assert.deepEqual(scoped(ok, 'keyword.other.mailops'), ['MAILOPS']);
    assert.deepEqual(scoped(ok, 'status.ok'), ['ok']);
    assert.deepEqual(scoped(ok, 'variable.other.account'), ['o%27neil%20%C3%BC']);
    const fail = formatStepLine({ time: t, step: 'run', status: 'result', fields: { ok: 'no', exit: '75' } });
    assert.deepEqual(scoped(fail, 'status.fail'), ['no']);
    assert.deepEqual(scoped(fail, 'constant.numeric.exit-code'), ['75']);
    const warn = formatStepLine({ time: t, step: 'dsync', status: 'warn', fields: { message: 'Modseq 9 no longer in transaction log' } });
    assert.deepEqual(scoped(warn, 'status.warn'), ['warn']);
    assert.deepEqual(scoped(formatStepLine({ time: t, step: 'lock', status: 'fail', fields: {} }), 'status.fail'), ['fail']);
    // The operator's script line from shared/operators/000 ("Return code $retval")
    assert.deepEqual(scoped('Syncing x failed. Return code 75. Took 3 seconds.', 'constant.numeric.exit-code'), ['75']);
    // Not a step line: MAILOPS in the middle of a relayed tool line
    assert.deepEqual(scoped(`> MAILOPS ${t} dsync ok`, 'keyword.other.mailops'), []);
  });

  it('marks the window header as a comment', () => {
    assert.deepEqual(scoped('⋯ 1.0 GiB (1071644691 bytes) above this point are not shown.', 'comment.line'), ['⋯ 1.0 GiB (1071644691 bytes) above this point are not shown.']);
  });
});
