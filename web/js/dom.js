// DOM building from data: text goes in through textContent only, so untrusted strings are never parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.setAttribute('class', value);
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** el('a', {href, class, text, onclick}, ...children): an HTML element. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  return append(node, children);
}

/** svg('rect', {x, y, ...}): an SVG element (attributes only, text through `text`). */
export function svg(tag, props, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  applyProps(node, props);
  return append(node, children);
}

/** Only http(s) links and same-site paths survive: a ticket's links come from alerts and are untrusted. */
export function safeUrl(value) {
  if (typeof value !== 'string' || !value) return null;
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** An external link opened in a new tab, or null when the URL is missing or unsafe. */
export function externalLink(href, label, props = {}) {
  const url = safeUrl(href);
  if (!url) return null;
  return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', ...props }, label,
    el('span', { class: 'visually-hidden', text: ' (opens in a new tab)' }));
}

/** Replace the text of a node only when it changed (keeps the shared clock from churning the DOM). */
export function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

export function setData(node, name, value) {
  if (node.dataset[name] !== value) node.dataset[name] = value;
}
