/**
 * The allow-list behind the HTML mail sanitiser (sanitize.ts). Pure string functions, unit tested without a DOM.
 *
 * Nothing in a mail may run code, load anything, navigate the webview or clobber the page's globals:
 *   - elements that run, embed, load or submit are dropped with their content;
 *   - known formatting elements are kept, anything else is unwrapped (its text stays);
 *   - attributes pass only through a per-element allow-list (so every on* handler, style, id, class, name goes);
 *   - links keep their text and show the URL as a tooltip, never an href (no navigation from a preview);
 *   - images are kept only for data:image/(png|gif|jpeg|webp) sources; remote ones are counted as blocked.
 */

export type TagAction = 'keep' | 'drop' | 'unwrap';

const DROP = new Set([
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'param', 'form', 'input', 'button',
  'select', 'option', 'optgroup', 'textarea', 'datalist', 'output', 'link', 'meta', 'base', 'noscript', 'noembed',
  'noframes', 'template', 'slot', 'svg', 'math', 'title', 'head', 'audio', 'video', 'source', 'track', 'picture',
  'canvas', 'portal', 'fencedframe', 'dialog', 'xmp', 'plaintext', 'listing', 'marquee', 'bgsound', 'keygen', 'image',
]);

const KEEP = new Set([
  'a', 'abbr', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center',
  'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure',
  'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'main',
  'mark', 'nav', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong', 'sub',
  'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
]);

export function tagAction(tagName: string): TagAction {
  const t = tagName.toLowerCase();
  if (DROP.has(t)) return 'drop';
  if (KEEP.has(t)) return 'keep';
  return 'unwrap';
}

const GLOBAL_ATTRS = new Set(['title', 'dir', 'lang']);
const TAG_ATTRS: Readonly<Record<string, ReadonlySet<string>>> = {
  img: new Set(['alt', 'width', 'height']),
  table: new Set(['width', 'border', 'cellpadding', 'cellspacing', 'align']),
  td: new Set(['colspan', 'rowspan', 'width', 'align', 'valign']),
  th: new Set(['colspan', 'rowspan', 'width', 'align', 'valign', 'scope']),
  tr: new Set(['align', 'valign']),
  col: new Set(['span', 'width']),
  colgroup: new Set(['span', 'width']),
  p: new Set(['align']),
  div: new Set(['align']),
  h1: new Set(['align']), h2: new Set(['align']), h3: new Set(['align']), h4: new Set(['align']), h5: new Set(['align']), h6: new Set(['align']),
  ol: new Set(['start', 'type', 'reversed']),
  li: new Set(['value']),
  font: new Set(['color']),
  blockquote: new Set(['cite']),
  details: new Set(['open']),
  time: new Set(['datetime']),
};

const NUMERIC = new Set(['width', 'height', 'colspan', 'rowspan', 'border', 'cellpadding', 'cellspacing', 'span', 'start', 'value']);

/**
 * The value to keep for an attribute, or null to drop it. `href` and `src` are handled by linkTitle and
 * classifyImageSrc, never here.
 */
export function allowedAttribute(tagName: string, name: string, value: string): string | null {
  const t = tagName.toLowerCase();
  const n = name.toLowerCase();
  if (n.startsWith('on')) return null;
  if (!GLOBAL_ATTRS.has(n) && !TAG_ATTRS[t]?.has(n)) return null;
  if (NUMERIC.has(n)) return /^\s*\d{1,5}%?\s*$/.test(value) ? value.trim() : null;
  if (n === 'color') return /^(#[0-9a-f]{3,8}|[a-z]{3,20})$/i.test(value.trim()) ? value.trim() : null;
  if (n === 'dir') return /^(ltr|rtl|auto)$/i.test(value.trim()) ? value.trim() : null;
  if (n === 'cite') return null; // a URL: not needed to read the mail
  return value.length > 2000 ? value.slice(0, 2000) : value;
}

/** Strip what browsers ignore inside a URL scheme (`java\tscript:`, leading controls/spaces). */
function normaliseUrl(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u0020\u007f-\u00a0]+/g, '').toLowerCase();
}

export type ImageSrcKind = 'inline' | 'remote' | 'other';

/**
 * `inline`: a data:image/(png|gif|jpeg|webp) URL, kept (the CSP allows data: images, nothing is fetched).
 * `remote`: http(s), protocol-relative or any other URL that would be fetched: dropped and counted as blocked.
 * `other`: cid:, data:image/svg+xml, javascript: and the like: dropped.
 */
export function classifyImageSrc(src: string): ImageSrcKind {
  const u = normaliseUrl(src);
  if (/^data:image\/(png|gif|jpe?g|webp)[;,]/.test(u)) return 'inline';
  if (u === '' || u.startsWith('cid:') || u.startsWith('data:') || u.startsWith('javascript:') || u.startsWith('vbscript:') || u.startsWith('about:') || u.startsWith('blob:')) return 'other';
  return 'remote';
}

/**
 * What a link shows as its tooltip: http(s)/mailto URLs as written, anything else (javascript:, data:, vbscript:,
 * file:, relative) as a note that it was removed. Links never get an href back.
 */
export function linkTitle(href: string): string | null {
  const u = normaliseUrl(href);
  if (u === '') return null;
  if (/^(https?:|mailto:)/.test(u)) return href.trim().slice(0, 2000);
  return null;
}

/** Attributes that load something or navigate, checked separately or always dropped: for tests and the walker. */
export const URL_ATTRIBUTES: ReadonlySet<string> = new Set(['href', 'src', 'srcset', 'background', 'action', 'formaction', 'poster', 'xlink:href', 'lowsrc', 'dynsrc', 'ping', 'longdesc', 'usemap']);
