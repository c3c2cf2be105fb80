/**
 * Loads a declared YAML or JSON file (params.yaml, metrics.json, ...) keeping node positions,
 * so problems can be reported as `file:line:column`. JSON is read by the same parser: YAML 1.2
 * is a superset of it, and Python's bare NaN/Infinity tokens come through as plain scalars.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { SourceFileError } from './ingest-errors.js';

export interface LoadedYaml {
  doc: Document.Parsed;
  /** 1-based line and column of a source offset. */
  position(offset: number): { line: number; col: number };
}

/** Reads and parses `path`; undefined when the file does not exist. Throws SourceFileError. */
export async function loadYamlFile(
  path: string,
  displayName = path,
): Promise<LoadedYaml | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new SourceFileError(displayName, 0, 0, `cannot be read (${code ?? String(error)})`, {
      hint: `check that ${displayName} is a readable file`,
      cause: error,
    });
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): { line: number; col: number } => counter.linePos(offset);
  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = position(first.pos[0]);
    throw new SourceFileError(displayName, line, col, firstLine(first.message));
  }
  return { doc, position };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}
