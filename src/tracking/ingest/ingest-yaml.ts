/**
 * Loads a declared YAML or JSON file (params.yaml, metrics.json, ...) keeping node positions,
 * so problems can be reported as `file:line:column`. JSON is read by the same parser: YAML 1.2
 * is a superset of it, and Python's bare NaN/Infinity tokens come through as plain scalars.
 *
 * Parsing is linear in the file's size: keys are checked for uniqueness here with one set per
 * mapping (the `yaml` library's own check compares each key with every earlier one, which took
 * seconds for 20,000 keys). Files over MAX_YAML_BYTES are refused before parsing, so a huge
 * file fails in milliseconds with a message naming the limit, rather than after minutes.
 * (A metrics file that is plain JSON is read with JSON.parse instead; see metrics-file.ts.)
 */
import { readFile } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { SourceFileError } from './ingest-errors.js';

/** Largest params or metrics file read as YAML: about 100,000 short lines, parsed in ~1 s. */
export const MAX_YAML_BYTES = 2 * 1024 * 1024;

export interface LoadedYaml {
  doc: Document.Parsed;
  /** 1-based line and column of a source offset. */
  position(offset: number): { line: number; col: number };
}

/** Reads `path` as UTF-8; undefined when the file does not exist. Throws SourceFileError. */
export async function readSourceText(
  path: string,
  displayName = path,
): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new SourceFileError(displayName, 0, 0, `cannot be read (${code ?? String(error)})`, {
      hint: `check that ${displayName} is a readable file`,
      cause: error,
    });
  }
}

/** Reads and parses `path`; undefined when the file does not exist. Throws SourceFileError. */
export async function loadYamlFile(
  path: string,
  displayName = path,
): Promise<LoadedYaml | undefined> {
  const text = await readSourceText(path, displayName);
  return text === undefined ? undefined : parseYamlText(text, displayName);
}

/** Parses the text of a params or metrics file; see the module comment. */
export function parseYamlText(text: string, displayName: string): LoadedYaml {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_YAML_BYTES) {
    throw new SourceFileError(
      displayName,
      0,
      0,
      `is ${bytes} bytes; params and metrics files are read as YAML up to ${MAX_YAML_BYTES} bytes`,
      {
        hint: `keep ${displayName} smaller (at most 10000 entries are recorded), or write metrics as JSON, which is read without this limit`,
      },
    );
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
  const position = (offset: number): { line: number; col: number } => counter.linePos(offset);
  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = position(first.pos[0]);
    throw new SourceFileError(displayName, line, col, firstLine(first.message));
  }
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined) {
    const { line, col } = position(duplicate);
    throw new SourceFileError(displayName, line, col, 'Map keys must be unique');
  }
  return { doc, position };
}

/** Source offset of the first key that repeats a scalar key of the same mapping. */
function firstDuplicateKey(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          found = pair.key.range?.[0] ?? map.range?.[0] ?? 0;
          return visit.BREAK;
        }
        seen.add(pair.key.value);
      }
      return undefined;
    },
  });
  return found;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}
