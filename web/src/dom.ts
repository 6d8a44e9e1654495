/** A new element with a class and children: enough DOM building for this app, without a framework. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  node.append(...children)
  return node
}

export function dot(color: string): HTMLElement {
  const node = el('span', 'dot')
  node.style.background = color
  return node
}
