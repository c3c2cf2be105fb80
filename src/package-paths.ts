/**
 * Locates files that ship with ghml (templates, examples) whether ghml runs from the bundle
 * (dist/cli.js) or from source (src/...): walks up from this module to ghml's package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (parsed.name === 'ghml') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find ghml package root');
    dir = parent;
  }
}

/** Folder holding ghml_log.py; `ghml run` puts it on PYTHONPATH. */
export function pythonHelperDir(): string {
  return join(packageRoot(), 'templates', 'python');
}

export function examplesDir(): string {
  return join(packageRoot(), 'examples');
}
