import * as assert from 'node:assert/strict';
import { describeTarget, parseSshTarget } from '../../../src/extension/hosts/target';

describe('SSH target of the Add host flow (user@host:port)', () => {
  const ok: [string, ReturnType<typeof parseSshTarget>][] = [
    ['root@mail.example.org:2222', { host: 'mail.example.org', port: 2222, user: 'root' }],
    ['mail1', { host: 'mail1' }],
    [' admin@10.0.0.5 ', { host: '10.0.0.5', user: 'admin' }],
    ['root@[2001:db8::1]:22', { host: '2001:db8::1', port: 22, user: 'root' }],
    ['[fe80::1%eth0]', { host: 'fe80::1%eth0' }],
  ];
  for (const [text, expected] of ok) {
    it(`parses ${JSON.stringify(text)}`, () => assert.deepEqual(parseSshTarget(text), expected));
  }

  const bad: [string, RegExp][] = [
    ['', /enter a target/],
    ['mail:0', /port/],
    ['mail:65536', /port/],
    ['mail:ssh', /port/],
    ['2001:db8::1', /brackets/],
    ['@mail', /user/],
    ['root@', /host name is empty/],
    ['ro ot@mail', /no spaces/],
    ['root@mail;rm', /not a host name/],
    ['[::1', /"\]"/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const r = parseSshTarget(text);
      assert.ok('error' in r, `accepted: ${JSON.stringify(r)}`);
      assert.match(r.error, message);
    });
  }

  it('describes targets the way it parses them (round trip)', () => {
    for (const text of ['root@mail.example.org:2222', 'mail1', 'root@[2001:db8::1]:22']) {
      const parsed = parseSshTarget(text);
      assert.ok(!('error' in parsed));
      assert.equal(describeTarget({ transport: 'ssh', ssh: parsed }), text);
    }
    assert.equal(describeTarget({ transport: 'local' }), 'local');
  });
});
