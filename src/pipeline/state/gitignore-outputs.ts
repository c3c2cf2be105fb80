/**
 * Keeps cached outputs out of git, as DVC does: each cached output gets a `/<path>` line in
 * the project folder's .gitignore (added once, never removed; the file's other lines are left
 * as they are). Outputs live in the cache and ghml.lock, not in commits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Adds the missing `/<path>` lines; returns the paths added. */
export function ignoreOutputs(root: string, paths: readonly string[]): string[] {
  const file = join(root, '.gitignore');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // created below
  }
  const present = new Set(text.split(/\r?\n/).map((line) => line.trim()));
  const added = paths.filter((path) => {
    const line = `/${path}`;
    return (
      !present.has(line) &&
      !present.has(`${line}/`) &&
      !present.has(path) &&
      !present.has(`${path}/`)
    );
  });
  if (added.length === 0) return [];
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  writeFileSync(file, `${prefix}${added.map((p) => `/${p}`).join('\n')}\n`);
  return added;
}
