/**
 * Reads the `WWW-Authenticate` challenges a registry sends with a 401 (RFC 7235): a scheme
 * followed by comma-separated `key=value` or `key="quoted value"` parameters, e.g.
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"`.
 * Several challenges may share one header. Parameter names are case-insensitive; unknown ones
 * are kept. Anything unreadable yields no challenge rather than a guess.
 */

export interface AuthChallenge {
  /** Lowercase scheme: 'bearer', 'basic', ... */
  scheme: string;
  /** Lowercase parameter names; a null-prototype map (the values come from the network). */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACE = /[ \t]*/y;

/** Parses one header value into its challenges (possibly none). */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = (): void => {
    SPACE.lastIndex = i;
    SPACE.exec(header);
    i = SPACE.lastIndex;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (m === null) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  const quoted = (): string | undefined => {
    if (header[i] !== '"') return undefined;
    let value = '';
    for (i += 1; i < header.length; i += 1) {
      const ch = header[i];
      if (ch === '\\' && i + 1 < header.length) {
        i += 1;
        value += header[i];
      } else if (ch === '"') {
        i += 1;
        return value;
      } else value += ch;
    }
    return undefined;
  };

  while (i < header.length) {
    skipSpace();
    while (header[i] === ',') {
      i += 1;
      skipSpace();
    }
    const scheme = token();
    if (scheme === undefined) break;
    const params = Object.create(null) as Record<string, string>;
    out.push({ scheme: scheme.toLowerCase(), params });
    for (;;) {
      skipSpace();
      const start = i;
      const name = token();
      if (name === undefined) break;
      skipSpace();
      if (header[i] !== '=') {
        // The next challenge's scheme, not a parameter.
        i = start;
        break;
      }
      i += 1;
      skipSpace();
      const value = header[i] === '"' ? quoted() : token();
      if (value === undefined) return out;
      params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] === ',') i += 1;
    }
  }
  return out;
}
