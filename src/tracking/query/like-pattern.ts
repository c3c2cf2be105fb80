/**
 * SQL LIKE / ILIKE matching in time linear in the value for a given pattern: `%` is any run of
 * characters, `_` exactly one (a code point), everything else itself. The pattern is split at
 * `%` into pieces of literal characters and `_`; the first piece must match at the start, the
 * last at the end, and each piece between is matched at its leftmost place after the previous
 * one. Leftmost placement is always safe (a later piece can only find more room), so nothing
 * is ever retried: the cost is at most value length × pattern length, where a regular
 * expression backtracks exponentially on `%a%a%a%b`.
 */

/** One code point as a pattern piece sees it; `null` is `_`. */
type Piece = ReadonlyArray<string | null>;

export interface LikePattern {
  /** Whether the whole value matches. */
  test(value: string): boolean;
}

/** Simple case folding per code point, so `_` still stands for one character after folding. */
function fold(ch: string): string {
  const lower = ch.toLowerCase();
  return lower.length === ch.length || [...lower].length === 1 ? lower : ch;
}

function matchesAt(value: readonly string[], at: number, piece: Piece): boolean {
  for (let i = 0; i < piece.length; i++) {
    const want = piece[i];
    if (want !== null && want !== value[at + i]) return false;
  }
  return true;
}

/** Compiles a LIKE pattern; `ignoreCase` for ILIKE. */
export function compileLikePattern(pattern: string, ignoreCase: boolean): LikePattern {
  const norm = ignoreCase ? fold : (ch: string) => ch;
  const pieces: Array<Array<string | null>> = [[]];
  for (const ch of pattern) {
    if (ch === '%') pieces.push([]);
    else (pieces[pieces.length - 1] as Array<string | null>).push(ch === '_' ? null : norm(ch));
  }
  const first = pieces[0] as Piece;
  const last = pieces[pieces.length - 1] as Piece;
  const middle = pieces.slice(1, -1).filter((piece) => piece.length > 0);
  const anchoredBothEnds = pieces.length === 1;

  return {
    test(text: string): boolean {
      const value = ignoreCase ? Array.from(text, fold) : Array.from(text);
      if (anchoredBothEnds) return value.length === first.length && matchesAt(value, 0, first);
      if (value.length < first.length + last.length) return false;
      if (!matchesAt(value, 0, first)) return false;
      const end = value.length - last.length;
      if (!matchesAt(value, end, last)) return false;
      let at = first.length;
      for (const piece of middle) {
        let found = -1;
        for (let start = at; start + piece.length <= end; start++) {
          if (matchesAt(value, start, piece)) {
            found = start;
            break;
          }
        }
        if (found < 0) return false;
        at = found + piece.length;
      }
      return true;
    },
  };
}
