import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedAttribute, classifyImageSrc, linkTitle, tagAction } from '../../../webview/sanitizePolicy';

describe('HTML mail sanitiser policy (the DOM walk itself runs in test/webview)', () => {
  it('drops elements that run, embed, load or submit; keeps formatting; unwraps the unknown', () => {
    for (const t of ['script', 'SCRIPT', 'style', 'iframe', 'object', 'embed', 'form', 'input', 'link', 'meta', 'base', 'svg', 'math', 'template', 'noscript', 'video', 'audio']) assert.equal(tagAction(t), 'drop', t);
    for (const t of ['p', 'b', 'table', 'td', 'img', 'a', 'blockquote', 'pre', 'font']) assert.equal(tagAction(t), 'keep', t);
    for (const t of ['html', 'body', 'o:p', 'custom-element', 'center2']) assert.equal(tagAction(t), 'unwrap', t);
  });

  it('keeps only allow-listed attributes with sane values', () => {
    assert.equal(allowedAttribute('img', 'onerror', 'x()'), null);
    assert.equal(allowedAttribute('div', 'ONCLICK', 'x()'), null);
    assert.equal(allowedAttribute('div', 'style', 'background:url(http://t/)'), null);
    assert.equal(allowedAttribute('div', 'id', '__host'), null);
    assert.equal(allowedAttribute('div', 'class', 'x'), null);
    assert.equal(allowedAttribute('table', 'background', 'http://t/x.png'), null);
    assert.equal(allowedAttribute('td', 'colspan', '2'), '2');
    assert.equal(allowedAttribute('td', 'width', '50%'), '50%');
    assert.equal(allowedAttribute('td', 'width', 'expression(alert(1))'), null);
    assert.equal(allowedAttribute('font', 'color', '#ff0000'), '#ff0000');
    assert.equal(allowedAttribute('font', 'color', 'red;background:url(x)'), null);
    assert.equal(allowedAttribute('p', 'title', 'hello'), 'hello');
    assert.equal(allowedAttribute('blockquote', 'cite', 'http://t/'), null);
  });

  it('classifies image sources: only data:image rasters are inline, anything fetchable is remote', () => {
    assert.equal(classifyImageSrc('data:image/png;base64,AAAA'), 'inline');
    assert.equal(classifyImageSrc(' DATA:image/JPEG;base64,AAAA'), 'inline');
    assert.equal(classifyImageSrc('data:image/svg+xml,<svg onload=x()>'), 'other');
    assert.equal(classifyImageSrc('data:text/html,<script>'), 'other');
    assert.equal(classifyImageSrc('cid:part1@mail'), 'other');
    assert.equal(classifyImageSrc('java\tscript:alert(1)'), 'other');
    for (const u of ['http://127.0.0.1:9/track.png', 'https://t/x', '//t/x.png', 'x', '/x.png', 'ftp://t/x']) assert.equal(classifyImageSrc(u), 'remote', u);
  });

  it('shows http(s)/mailto link targets as a tooltip only, never script or data URLs', () => {
    assert.equal(linkTitle('https://example.org/a?b'), 'https://example.org/a?b');
    assert.equal(linkTitle('mailto:x@example.org'), 'mailto:x@example.org');
    for (const u of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\nscript:x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', '']) assert.equal(linkTitle(u), null, u);
  });
});
