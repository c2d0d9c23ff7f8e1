/**
 * The small DOM builders every view uses: an element of a class, with a text.
 */

/** A `tag` element of `className` (none when empty), holding `text` when given. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A div of a class. */
export function div(className: string): HTMLDivElement {
  return element('div', className);
}

/** A span of a class with a text. */
export function span(className: string, text: string): HTMLSpanElement {
  return element('span', className, text);
}
