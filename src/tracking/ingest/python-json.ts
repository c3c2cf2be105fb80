/**
 * JSON as Python's `json.dumps` writes it: NaN, Infinity and -Infinity as bare tokens, which
 * JSON.parse refuses. Used for the events file and for metrics files written by Python.
 */

/**
 * Parses JSON text in which NaN and ±Infinity may be bare tokens: they are quoted (outside
 * strings only, in one pass) and the text parsed again. Undefined when that does not help.
 * Call it after plain JSON.parse failed.
 */
export function parsePythonJson(line: string): unknown {
  if (!line.includes('NaN') && !line.includes('Infinity')) return undefined;
  let out = '';
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += line[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = line.startsWith('NaN', i)
      ? 'NaN'
      : line.startsWith('-Infinity', i)
        ? '-Infinity'
        : line.startsWith('Infinity', i)
          ? 'Infinity'
          : undefined;
    if (token !== undefined) {
      out += `"${token}"`;
      i += token.length - 1;
    } else out += c;
  }
  try {
    return JSON.parse(out);
  } catch {
    return undefined;
  }
}
