/**
 * The streaming JSON array parser, on real doveadm `-f json` output (test/fixtures/dovecot/browse-*.json,
 * captured by browse-capture.sh) split at every byte boundary, and on a generated 100,000-object stream
 * whose heap use must stay flat.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { JsonArrayParser, JsonStreamError, parseJsonArrayStream } from '../../../src/core/util/jsonArrayStream';

const FIXTURES = join(__dirname, '../../fixtures/dovecot');
const jsonFixtures = readdirSync(FIXTURES).filter((f) => /^(browse|restore)-.*\.json$/.test(f));

function parseChunks(chunks: Uint8Array[]): unknown[] {
  const p = new JsonArrayParser();
  const out: unknown[] = [];
  for (const c of chunks) out.push(...p.push(c));
  p.end();
  return out;
}

describe('JsonArrayParser on captured doveadm output', () => {
  test('there are captured fixtures to test on', () => {
    assert.ok(jsonFixtures.length >= 5, `fixtures: ${jsonFixtures.join(', ')}`);
  });
  for (const name of jsonFixtures) {
    test(`${name}: same result as JSON.parse, split at every byte boundary`, () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const expected = JSON.parse(bytes.toString('utf8')) as unknown[];
      assert.deepEqual(parseChunks([bytes]), expected);
      for (let i = 1; i < bytes.length; i++) {
        const got = parseChunks([bytes.subarray(0, i), bytes.subarray(i)]);
        assert.deepEqual(got, expected, `split at byte ${i}`);
      }
    });
    test(`${name}: one byte at a time`, () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
      assert.deepEqual(parseChunks(chunks), JSON.parse(bytes.toString('utf8')));
    });
  }

  test('elements come out as soon as they are complete, not at the end', () => {
    const bytes = readFileSync(join(FIXTURES, 'browse-fetch-work-stuff.json'));
    const all = JSON.parse(bytes.toString('utf8')) as Array<Record<string, string>>;
    const p = new JsonArrayParser();
    // Feed up to just after the first element's closing brace.
    const firstEnd = bytes.indexOf('},{') + 1;
    assert.ok(firstEnd > 0);
    const first = p.push(bytes.subarray(0, firstEnd));
    assert.deepEqual(first, [all[0]]);
    const rest = p.push(bytes.subarray(firstEnd));
    assert.equal(rest.length, all.length - 1);
    p.end();
  });

  test('non-ASCII, escapes and the replacement character survive splits inside them', () => {
    const bytes = readFileSync(join(FIXTURES, 'browse-fetch-work-stuff.json'));
    const text = bytes.toString('utf8');
    assert.ok(text.includes('\\u0001') && text.includes('\uFFFD') && text.includes('\\"'), 'fixture has escapes and U+FFFD');
    const msgs = parseChunks([bytes]) as Array<Record<string, string>>;
    const raw = msgs.find((m) => m['hdr.message-id'] === '<raw8@example.org>');
    assert.equal(raw?.['hdr.subject'], 'Raw latin1 \uFFFDt\uFFFD and ctrl \u0001 char');
  });

  test('the empty array of a missing mailbox is zero elements', () => {
    assert.deepEqual(parseChunks([readFileSync(join(FIXTURES, 'browse-fetch-missing-mailbox.json'))]), []);
  });

  test('truncated output: the complete elements, then an error', async () => {
    const bytes = readFileSync(join(FIXTURES, 'browse-fetch-work-stuff.json'));
    const cut = bytes.subarray(0, bytes.lastIndexOf('},{') + 2);
    const got: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const v of parseJsonArrayStream([cut])) got.push(v);
      })(),
      (e: unknown) => e instanceof JsonStreamError && /truncated/.test(e.message),
    );
    assert.equal(got.length, (JSON.parse(bytes.toString('utf8')) as unknown[]).length - 1);
  });

  test('malformed output is an error with its offset', () => {
    assert.throws(() => parseChunks([Buffer.from('doveadm: Error: something')]), /expected "\[" to start the array.*at byte 0/);
    assert.throws(() => parseChunks([Buffer.from('[{"a":"b" "c":"d"}]')]), /expected "," or the end of the object/);
    assert.throws(() => parseChunks([Buffer.from('[{"a":"b"}] x')]), /after the end of the array/);
    assert.throws(() => parseChunks([Buffer.from('[{"a":"\\x"}]')]), /bad escape/);
    assert.throws(() => parseChunks([Buffer.from('')]), /empty/);
  });

  test('nested values, numbers and literals (general JSON)', () => {
    const text = '[ {"a":[1,-2.5e3,true,false,null,{"b":"\\u00e9\\ud83d\\ude00"}],"__proto__":{"x":1}} , [] , "s" , 0 ]';
    const got = parseChunks([Buffer.from(text)]);
    assert.deepEqual(got, JSON.parse(text));
    const first = got[0] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(first), Object.prototype, 'a "__proto__" key does not replace the prototype');
    assert.ok(Object.prototype.hasOwnProperty.call(first, '__proto__'));
  });
});

describe('streaming a 100,000-message listing', () => {
  test('heap stays bounded while 100,000 objects pass through', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // One real captured object as the template, so the shape is doveadm's.
    const template = (JSON.parse(readFileSync(join(FIXTURES, 'browse-fetch-work-stuff.json'), 'utf8')) as Array<Record<string, string>>)[0]!;
    const N = 100_000;
    let produced = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      const per = 200; // objects per chunk
      for (let i = 0; i < N; i += per) {
        let s = i === 0 ? '[' : '';
        for (let k = i; k < Math.min(N, i + per); k++) {
          const o = { ...template, uid: String(k + 1), guid: `${k}.M${k}P${k}.host,S=${k},W=${k}`, 'hdr.subject': `Subject ${k} ${'x'.repeat(400)}` };
          s += (k === 0 ? '' : ',') + JSON.stringify(o);
        }
        if (i + per >= N) s += ']';
        const b = Buffer.from(s, 'utf8');
        produced += b.length;
        yield b;
      }
    }
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let lastUid = 0;
    for await (const v of parseJsonArrayStream(generate())) {
      const o = v as Record<string, string>;
      count++;
      lastUid = Number(o.uid);
      if (count % 5000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    assert.equal(count, N);
    assert.equal(lastUid, N);
    assert.ok(produced > 60 * 1024 * 1024, `the stream is larger than the bound (${produced} bytes)`);
    assert.ok(peak < 30 * 1024 * 1024, `heap grew by ${(peak / 1024 / 1024).toFixed(1)} MiB over baseline`);
  });
});
