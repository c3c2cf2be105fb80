/**
 * Loading ghml.yml: find the file at the repository root, parse it with positions, validate it
 * against the schema and apply defaults. No file means every default.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './config-errors.js';
import { defaultConfig } from './config-defaults.js';
import { readConfig } from './config-schema.js';
import type { GhmlConfig } from './config-types.js';
import { NodeReader } from './yaml-node-reader.js';

/** File names looked for at the repository root, in order. */
export const CONFIG_FILE_NAMES = ['ghml.yml', 'ghml.yaml'] as const;

/** Largest ghml.yml accepted; the file may come from a PR. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The file reading loadConfig needs. */
export interface ConfigFileSystem {
  /** The file's text, or undefined when it does not exist. Other failures throw. */
  tryReadText(path: string): Promise<string | undefined>;
}

/** ConfigFileSystem over node:fs. */
export const nodeConfigFileSystem: ConfigFileSystem = {
  async tryReadText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  },
};

/**
 * Reads `<repoRoot>/ghml.yml` (or ghml.yaml). With neither, returns the defaults (`file: null`).
 * Throws ConfigError listing every problem, each with file:line:column, key path and fix.
 */
export async function loadConfig(
  repoRoot: string,
  fs: ConfigFileSystem = nodeConfigFileSystem,
): Promise<GhmlConfig> {
  const found: Array<{ name: string; path: string; text: string }> = [];
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(join(repoRoot, name));
    const text = await fs.tryReadText(path);
    if (text !== undefined) found.push({ name, path, text });
  }
  const [first, second] = found;
  if (first === undefined) return defaultConfig();
  if (second !== undefined) {
    throw new ConfigError([
      {
        file: second.name,
        line: 1,
        column: 1,
        path: '',
        message: `both ${first.name} and ${second.name} exist at the repository root`,
        fix: `keep one of them: merge ${second.name} into ${first.name} and delete it`,
      },
    ]);
  }
  return { ...parseConfig(first.text, first.name), file: first.path };
}

/**
 * Parses and validates ghml.yml text. `fileName` is how errors name the file and becomes
 * `file` in the result. Pure: no I/O.
 */
export function parseConfig(text: string, fileName: string): GhmlConfig {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      {
        file: fileName,
        line: 1,
        column: 1,
        path: '',
        message: `${fileName} is larger than ${MAX_CONFIG_BYTES} bytes`,
        fix: 'keep ghml.yml to settings; it should be a few kilobytes',
      },
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const reader = new NodeReader(doc, lineCounter, fileName);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      if (error.code === 'MULTIPLE_DOCS') {
        reader.reportAt(
          error.pos[0],
          `${fileName} holds more than one YAML document`,
          "keep one document: remove the second '---' and what follows, or merge it",
        );
      } else {
        reader.reportAt(
          error.pos[0],
          `${fileName} is not valid YAML: ${error.message.split('\n')[0] ?? error.code}`,
          'fix the YAML syntax at this position (indentation, quotes, brackets, duplicate keys)',
        );
      }
    }
    throw new ConfigError(inFileOrder(reader.problems));
  }
  const config = readConfig(reader, fileName);
  if (reader.problems.length > 0) throw new ConfigError(inFileOrder(reader.problems));
  return config;
}

function inFileOrder(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}
