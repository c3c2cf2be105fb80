/**
 * Finds the ghml.yml that applies to a folder: the nearest one from that folder up to the
 * repository root, so a monorepo can keep one per project folder. GTO's `.gto` and
 * `artifacts.yaml` at the repository root are applied to it (gto-files.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { GhmlConfig } from './config-types.js';
import { withGtoFiles } from './gto-files.js';
import { CONFIG_FILE_NAMES, loadConfig } from './load-config.js';

export async function loadConfigFor(folder: string, repoRoot: string): Promise<GhmlConfig> {
  const root = resolve(repoRoot);
  return withGtoFiles(await loadNearest(resolve(folder), root), root);
}

async function loadNearest(folder: string, root: string): Promise<GhmlConfig> {
  let dir = folder;
  // Only walk while inside the repository.
  while (!relative(root, dir).startsWith('..')) {
    if (CONFIG_FILE_NAMES.some((name) => existsSync(join(dir, name)))) return loadConfig(dir);
    if (dir === root) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return loadConfig(root);
}
