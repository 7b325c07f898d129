/**
 * Sanitises the HTML part of a mail for the preview pane.
 *
 * The mail is parsed with DOMParser into an inert document (no browsing context: nothing in it runs or loads),
 * then walked node by node; what passes the allow-list (sanitizePolicy.ts) is *rebuilt* with createElement /
 * createTextNode in the page's document. No HTML string is ever assigned to innerHTML, so there is no second parse
 * for a mutation-XSS to hide in. The webview's CSP (script-src nonce only, img-src cspSource data:, default-src
 * 'none') stands behind this in case anything slips through.
 */
import { allowedAttribute, classifyImageSrc, linkTitle, tagAction } from './sanitizePolicy';

export interface SanitizedHtml {
  readonly fragment: DocumentFragment;
  /** Images with a remote source that were not shown. */
  readonly remoteImagesBlocked: number;
  /** Elements dropped with their content (script, iframe, form …). */
  readonly elementsRemoved: number;
  /** Attributes dropped (handlers, styles, ids, URLs …). */
  readonly attributesRemoved: number;
  /** Links whose target was removed (shown as text with the URL as tooltip). */
  readonly linksDisabled: number;
}

const MAX_DEPTH = 200;
const MAX_NODES = 50_000;

export function sanitizeHtml(html: string, target: Document = document): SanitizedHtml {
  const inert = new DOMParser().parseFromString(html, 'text/html');
  const fragment = target.createDocumentFragment();
  const counts = { remoteImagesBlocked: 0, elementsRemoved: 0, attributesRemoved: 0, linksDisabled: 0, nodes: 0 };

  const copyChildren = (from: Node, to: Node, depth: number): void => {
    for (let child = from.firstChild; child; child = child.nextSibling) {
      if (++counts.nodes > MAX_NODES) return;
      copyNode(child, to, depth);
    }
  };

  const copyNode = (node: Node, to: Node, depth: number): void => {
    if (node.nodeType === Node.TEXT_NODE) {
      to.appendChild(target.createTextNode(node.nodeValue ?? ''));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return; // comments, processing instructions, CDATA
    const el = node as Element;
    if (depth > MAX_DEPTH) {
      to.appendChild(target.createTextNode(el.textContent ?? ''));
      return;
    }
    // Namespaced elements (svg, math) report a local name; anything outside the HTML namespace is dropped.
    const tag = el.namespaceURI === 'http://www.w3.org/1999/xhtml' ? el.localName : '#foreign';
    const action = tag === '#foreign' ? 'drop' : tagAction(tag);
    if (action === 'drop') {
      counts.elementsRemoved++;
      return;
    }
    if (action === 'unwrap') {
      counts.attributesRemoved += el.attributes.length;
      copyChildren(el, to, depth + 1);
      return;
    }
    if (tag === 'img') {
      const src = el.getAttribute('src') ?? '';
      const kind = classifyImageSrc(src);
      if (kind !== 'inline') {
        if (kind === 'remote') counts.remoteImagesBlocked++;
        counts.elementsRemoved++;
        return;
      }
    }
    const out = target.createElement(tag);
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (tag === 'img' && name === 'src') {
        out.setAttribute('src', attr.value); // classified 'inline' above: a data:image URL
        continue;
      }
      if (tag === 'a' && name === 'href') {
        const title = linkTitle(attr.value);
        counts.linksDisabled++;
        out.setAttribute('title', title ?? 'link removed');
        out.setAttribute('data-link', title ? 'disabled' : 'removed');
        continue;
      }
      const value = allowedAttribute(tag, name, attr.value);
      if (value === null) counts.attributesRemoved++;
      else if (!(tag === 'a' && name === 'title' && out.hasAttribute('title'))) out.setAttribute(name, value);
    }
    if (tag === 'img') {
      out.setAttribute('referrerpolicy', 'no-referrer');
      out.setAttribute('loading', 'lazy');
    }
    copyChildren(el, out, depth + 1);
    to.appendChild(out);
  };

  copyChildren(inert.body, fragment, 0);
  const { nodes: _nodes, ...rest } = counts;
  void _nodes;
  return { fragment, ...rest };
}
