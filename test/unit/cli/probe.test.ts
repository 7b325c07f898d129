import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProbeOutput } from '../../../src/core/probe';
import { renderProbe } from '../../../src/cli/commands/probe';

// Both fixtures are the probe script's real output over SSH from the sandbox host (Debian 12,
// Dovecot 2.3.19.1, Cyrus 3.6.1): once with the configs given, once with none while three
// Dovecot and three Cyrus masters ran with other configs.
const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/probe', name), 'utf8');

describe('probe output parser (captured from the real script)', () => {
  test('configured sandbox: both servers with versions, paths and the settings backups need', () => {
    const r = parseProbeOutput(fixture('sandbox-configured.txt'), 'sandbox', 'ssh', {
      dovecot: '/var/tmp/mailops-sandbox/dovecot/dovecot.conf',
      cyrus: '/var/tmp/mailops-sandbox/cyrus/imapd.conf',
    });
    assert.deepEqual(r.detected, ['dovecot', 'cyrus']);
    assert.equal(r.dovecot?.version, '2.3.19.1 (9b53102964)');
    assert.equal(r.dovecot?.doveadm, '/usr/bin/doveadm');
    assert.equal(r.dovecot?.config, '/var/tmp/mailops-sandbox/dovecot/dovecot.conf');
    assert.equal(r.dovecot?.configFrom, 'settings');
    assert.equal(r.dovecot?.running, true);
    assert.equal(r.dovecot?.mailLocation, 'maildir:~/Maildir:LAYOUT=fs');
    assert.deepEqual(r.dovecot?.mailPlugins, ['lazy_expunge']);
    assert.deepEqual(r.dovecot?.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(r.dovecot?.separator, '/');
    assert.equal(r.cyrus?.version, 'cyrus-imapd 3.6.1-Debian-3.6.1-4+deb12u5');
    assert.equal(r.cyrus?.toolsDir, '/usr/lib/cyrus/bin');
    assert.equal(r.cyrus?.configDirectory, '/var/tmp/mailops-sandbox/cyrus/config');
    assert.deepEqual(r.cyrus?.partitions, { default: '/var/tmp/mailops-sandbox/cyrus/spool' });
    assert.equal(r.cyrus?.expungeMode, 'delayed');
    assert.equal(r.cyrus?.deleteMode, 'delayed');
    assert.equal(r.cyrus?.unixHierarchySep, false);
    assert.equal(r.cyrus?.virtDomains, 'off');
    assert.equal(r.cyrus?.running, true);
  });

  test('several running instances and no config: none is guessed, all are listed', () => {
    const r = parseProbeOutput(fixture('several-instances.txt'), 'h', 'ssh');
    assert.equal(r.dovecot?.config, null);
    assert.equal(r.dovecot?.configFrom, 'default');
    assert.equal(r.dovecot?.instances.length, 3);
    assert.ok(r.dovecot?.instances.includes('/var/tmp/mailops-sandbox/dovecot/dovecot.conf'));
    assert.equal(r.dovecot?.running, false);
    assert.equal(r.cyrus?.config, '/etc/imapd.conf');
    assert.equal(r.cyrus?.instances.length, 3);
    assert.deepEqual(Object.keys(r.cyrus?.partitions ?? {}).sort(), ['default', 'news']);
    const text = renderProbe(r);
    assert.match(text, /3 Dovecot masters run with other configs: .*choose one with --dovecot-config/);
    assert.match(text, /3 Cyrus masters run with other configs/);
  });

  test('a host without mail servers detects nothing', () => {
    const r = parseProbeOutput('hostname=web1\nkernel=Linux 6.1\nuser=deploy\nend=ok\n', 'web1', 'ssh');
    assert.deepEqual(r.detected, []);
    assert.equal(r.dovecot, null);
    assert.equal(r.cyrus, null);
  });
});
