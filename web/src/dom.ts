/**
 * Building the page's DOM. Every string from the data (run names, params, tags, tag messages,
 * commit subjects) is set as text: nothing here parses HTML, so a hostile value renders inert.
 * Links are made only from `#/` routes and http(s) URLs (`safeHref`); anything else stays text.
 */

export type Child = Node | string | number | null | undefined | false;
type Listener = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Listener | null | undefined>;

/** The URL when it is safe to link to: a '#/' route, a relative data path, or http(s). */
export function safeHref(url: string | null | undefined): string | undefined {
  if (url === null || url === undefined || url === '') return undefined;
  if (url.startsWith('#/')) return url;
  if (/^(data|artifacts)\/[^:]*$/.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.href;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'href') {
      const href = safeHref(String(value));
      if (href !== undefined) node.setAttribute('href', href);
    } else if (key === 'class') {
      node.className = String(value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, ...children);
  return node;
}

export function append(node: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A link when `href` is safe, else the text alone (in a span). */
export function link(href: string | null | undefined, text: Child, props: Props = {}): HTMLElement {
  const safe = safeHref(href);
  if (safe === undefined) return el('span', props, text);
  const external = !safe.startsWith('#') && !/^(data|artifacts)\//.test(safe);
  return el(
    'a',
    { ...props, href: safe, ...(external ? { rel: 'noopener noreferrer', target: '_blank' } : {}) },
    text,
  );
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** A plain table: a header row and body rows of cells. */
export function table(
  header: readonly Child[],
  rows: ReadonlyArray<readonly Child[]>,
  props: Props = {},
  numeric: readonly boolean[] = [],
): HTMLTableElement {
  return el(
    'table',
    props,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...header.map((h, i) =>
          el('th', { class: numeric[i] ? 'num' : undefined, scope: 'col' }, h),
        ),
      ),
    ),
    el(
      'tbody',
      {},
      ...rows.map((row) =>
        el(
          'tr',
          {},
          ...row.map((cell, i) => el('td', { class: numeric[i] ? 'num' : undefined }, cell)),
        ),
      ),
    ),
  );
}

/** A section with a heading. */
export function section(title: Child, ...children: Child[]): HTMLElement {
  return el('section', {}, el('h2', {}, title), ...children);
}

/** A short note (for empty states and explanations). */
export function note(...children: Child[]): HTMLElement {
  return el('p', { class: 'note' }, ...children);
}
