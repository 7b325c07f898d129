import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInternalName, toolName, internalName, displayFolder, folderLevels } from '../../../src/core/cyrus/names';
import { decodeMutf7, encodeMutf7 } from '../../../src/core/cyrus/utf7';
import { parseMboxlistLine } from '../../../src/core/cyrus/parse';

const unix = { unixHierarchySep: true };
const netnews = { unixHierarchySep: false };

test('modified UTF-7 both ways, on names Cyrus produced', () => {
  assert.equal(decodeMutf7('Gr&APwA3w-e &AMQ-rger'), 'Grüße Ärger');
  assert.equal(encodeMutf7('Grüße Ärger'), 'Gr&APwA3w-e &AMQ-rger');
  assert.equal(decodeMutf7("it's $HOME &- (x) * ?"), "it's $HOME & (x) * ?");
  assert.equal(encodeMutf7("it's $HOME & (x) * ?"), "it's $HOME &- (x) * ?");
  for (const s of ['日本語', 'a😀b', '&&', 'x&y-z']) assert.equal(decodeMutf7(encodeMutf7(s)), s);
});

test('every name of the real unixhierarchysep + virtdomains dump round-trips', () => {
  const dump = readFileSync(join(__dirname, '../../fixtures/cyrus/ctl_mboxlist-d.unixsep-virtdomains.json'), 'utf8');
  const entries = dump.split('\n').map(parseMboxlistLine).filter((e) => e !== null && !e.mbtype.includes('d'));
  assert.ok(entries.length > 10);
  for (const e of entries) {
    const p = parseInternalName(e!.name, unix);
    if (p.deleted || !p.account) continue;
    const levels = p.folder.map(decodeMutf7);
    assert.equal(internalName(p.account, levels, unix), e!.name);
  }
  const v = parseInternalName('example.org!user.alice.v1^2 notes', unix);
  assert.equal(v.account, 'alice@example.org');
  assert.equal(displayFolder(v, unix), 'v1.2 notes');
  assert.equal(toolName('example.org!user.alice.Gr&APwA3w-e &AMQ-rger', unix), 'user/alice/Gr&APwA3w-e &AMQ-rger@example.org');
  assert.equal(toolName('user.alice.$(touch .tmp.mailops-pwned)', unix), 'user/alice/$(touch /tmp/mailops-pwned)');
  assert.deepEqual(folderLevels('$(touch /tmp/mailops-pwned)', unix), ['$(touch ', 'tmp', 'mailops-pwned)']);
});

test('DELETED names: original and hex time', () => {
  const dump = readFileSync(join(__dirname, '../../fixtures/cyrus/ctl_mboxlist-d.unixsep-virtdomains.json'), 'utf8');
  const del = dump.split('\n').map(parseMboxlistLine).filter((e) => e?.name.includes('DELETED')).map((e) => parseInternalName(e!.name, unix));
  assert.equal(del.length, 2);
  const quoted = del.find((d) => d.domain === 'example.org')!;
  assert.equal(quoted.deleted!.original, "example.org!user.alice.it's $HOME &- (x) * ?");
  assert.equal(quoted.account, 'alice@example.org');
  assert.equal(quoted.deleted!.at.getTime() / 1000, parseInt(quoted.deleted!.hex, 16));
  const pwn = del.find((d) => d.domain === null)!;
  assert.equal(displayFolder(pwn, unix), '$(touch /tmp/mailops-pwned)');
  const nn = parseInternalName('DELETED.user.alice.Work Stuff.6B02610E', netnews);
  assert.equal(nn.deleted!.original, 'user.alice.Work Stuff');
  assert.equal(nn.deleted!.at.toISOString(), new Date(0x6b02610e * 1000).toISOString());
  assert.equal(toolName(nn.internal, netnews), 'DELETED.user.alice.Work Stuff.6B02610E');
});
