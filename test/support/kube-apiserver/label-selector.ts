/**
 * Label and field selectors as kubectl sends them in `labelSelector=` and `fieldSelector=`:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` and `!a`, joined by commas.
 */

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    return op === 'in'
      ? (l) => Object.hasOwn(l, key) && values.includes(l[key] ?? '')
      : (l) => !Object.hasOwn(l, key) || !values.includes(l[key] ?? '');
  }
  const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
  if (notEqual) {
    const [, key = '', value = ''] = notEqual;
    return (l) => l[key.trim()] !== value.trim();
  }
  const equal = /^([^!=]+)==?(.*)$/.exec(term);
  if (equal) {
    const [, key = '', value = ''] = equal;
    return (l) => l[key.trim()] === value.trim();
  }
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    return (l) => !Object.hasOwn(l, key);
  }
  return (l) => Object.hasOwn(l, term);
}

/** A matcher for a selector; an empty or missing selector matches everything. */
export function parseSelector(text: string | null | undefined): Requirement {
  if (!text) return () => true;
  const requirements = splitTerms(text).map(parseTerm);
  return (labels) => requirements.every((r) => r(labels));
}
