/**
 * `<div ${styleProps({ transform: '…' })}>`: sets inline style *properties* through the CSSOM. Lit's styleMap
 * writes a `style="…"` attribute on first render, which the webview's CSP (no 'unsafe-inline' styles) blocks;
 * style.setProperty is not subject to style-src.
 */
import { noChange } from 'lit';
import { Directive, PartType, directive, type ElementPart, type PartInfo } from 'lit/directive.js';

class StylePropsDirective extends Directive {
  private previous: Readonly<Record<string, string>> = {};

  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('styleProps() must be used in an element position');
  }

  override render(_props: Readonly<Record<string, string>>): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [props]: [Readonly<Record<string, string>>]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of Object.keys(this.previous)) if (!(name in props)) style.removeProperty(name);
    for (const [name, value] of Object.entries(props)) if (this.previous[name] !== value) style.setProperty(name, value);
    this.previous = props;
    return noChange;
  }
}

export const styleProps = directive(StylePropsDirective);
