/**
 * 11.6 / 11.2: the one account rule per server and the path rule (src/core/names.ts), and that the doveadm
 * and Cyrus argv builders apply them and keep names behind `--`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountNameProblem, checkAccountName, checkHostPath, hostPathProblem } from '../../src/core/names';
import { doveadmMailArgs } from '../../src/core/dovecot/doveadm';
import { UsageError, MailopsError } from '../../src/core/errors';

const HOSTILE_OK = 'o’neil $(touch /tmp/mailops-pwned);`id` ü';

describe('11.6 account names (names.ts)', () => {
  test('Dovecot: wildcards and a leading "-" are refused, naming the rule; the sandbox hostile account passes', () => {
    for (const a of ['alice', 'alice@example.org', HOSTILE_OK, 'a-b', 'x%y', "o'neil"]) assert.equal(accountNameProblem('dovecot', a), null, a);
    assert.match(accountNameProblem('dovecot', 'a*')!, /cannot contain "\*": doveadm -u treats \* and \? as wildcards/);
    assert.match(accountNameProblem('dovecot', '*')!, /wildcards/);
    assert.match(accountNameProblem('dovecot', 'bo?')!, /cannot contain "\?"/);
    assert.match(accountNameProblem('dovecot', '-A')!, /cannot start with "-"/);
    assert.match(accountNameProblem('dovecot', '')!, /empty/);
    assert.match(accountNameProblem('dovecot', 'a\nb')!, /control characters/);
    assert.match(accountNameProblem('dovecot', 'a\rb')!, /control characters/);
    assert.match(accountNameProblem('dovecot', 'a\u009bb')!, /control characters/);
  });

  test('Cyrus: wildcards, "-", "!", "/" and (without unixhierarchysep) "." are refused', () => {
    for (const a of ['alice', 'alice@example.org', 'a-b', "o'neil"]) assert.equal(accountNameProblem('cyrus', a, { unixHierarchySep: false }), null, a);
    assert.match(accountNameProblem('cyrus', 'a%')!, /cannot contain "%"/);
    assert.match(accountNameProblem('cyrus', 'a*')!, /cannot contain "\*"/);
    assert.match(accountNameProblem('cyrus', '-x')!, /cannot start with "-"/);
    assert.match(accountNameProblem('cyrus', 'dom!alice')!, /"!"/);
    assert.match(accountNameProblem('cyrus', 'alice/Work')!, /"\/"/);
    assert.match(accountNameProblem('cyrus', 'alice.Work', { unixHierarchySep: false })!, /cannot contain "\." on this host/);
    assert.equal(accountNameProblem('cyrus', 'alice.smith', { unixHierarchySep: true }), null);
    // before the probe the style is unknown: the "." rule waits for the second check
    assert.equal(accountNameProblem('cyrus', 'alice.smith'), null);
    assert.match(accountNameProblem('cyrus', '@example.org')!, /USER@DOMAIN/);
    assert.match(accountNameProblem('cyrus', 'a@b@c')!, /USER@DOMAIN/);
  });

  test('checkAccountName throws a UsageError that names the account and the rule and says nothing ran', () => {
    assert.throws(
      () => checkAccountName('dovecot', 'a*', { host: 'mx1' }),
      (e: unknown) => e instanceof UsageError && /mx1: refusing the account "a\*": a Dovecot account name cannot contain "\*"/.test(e.message) && /nothing was run on the host/.test(e.message),
    );
    assert.equal(checkAccountName('dovecot', 'alice'), 'alice');
  });
});

describe('11.6 doveadm mail arguments (doveadm.ts)', () => {
  test('options first, then "--", then the mailbox and query words; a bad account throws before any argv exists', () => {
    assert.deepEqual(doveadmMailArgs(['mailbox', 'create'], 'alice', [], ['-x']), ['mailbox', 'create', '-u', 'alice', '--', '-x']);
    assert.deepEqual(doveadmMailArgs(['import'], 'alice', ['-p', 'mail_index_path=MEMORY'], ['maildir:/b', '', 'all']), ['import', '-u', 'alice', '-p', 'mail_index_path=MEMORY', '--', 'maildir:/b', '', 'all']);
    for (const bad of ['a*', '*', '-A', 'b?b']) assert.throws(() => doveadmMailArgs(['fetch'], bad, [], ['uid', 'all']), UsageError, bad);
  });
});

describe('11.2 host paths (names.ts)', () => {
  test('absolute, no control characters, no ".." component; "|" and "$" are data, not refused', () => {
    assert.equal(hostPathProblem('/var/spool/cyrus/mail'), null);
    assert.equal(hostPathProblem('/var/tmp/x;touch /tmp/mailops-pwned;#|e;'), null);
    assert.match(hostPathProblem('var/spool')!, /not absolute/);
    assert.match(hostPathProblem('/var/spool\n/x')!, /control/);
    assert.match(hostPathProblem('/var/../etc')!, /"\.\."/);
    assert.match(hostPathProblem('')!, /empty/);
    assert.throws(() => checkHostPath('spool', 'Cyrus partition default', { host: 'c1', from: 'archive X' }), (e: unknown) => e instanceof MailopsError && /c1: refusing the Cyrus partition default "spool": it is not absolute/.test(e.message) && /read from archive X/.test(e.message));
  });
});
