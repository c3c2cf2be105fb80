/**
 * Finds and loads the pipeline a command works on: the nearest folder, from the working
 * folder up to the repository root, holding ghml.yml with `stages:` or dvc.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { NoPipelineError } from './definition/definition-errors.js';
import { loadPipeline, type LoadedPipeline } from './definition/load-pipeline.js';

function holdsPipeline(dir: string): boolean {
  if (existsSync(join(dir, 'dvc.yaml'))) return true;
  for (const name of ['ghml.yml', 'ghml.yaml']) {
    try {
      if (/^stages\s*:/m.test(readFileSync(join(dir, name), 'utf8'))) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** The project folder of `cwd`; `top` (the repository root) bounds the search. */
export function findProjectRoot(cwd: string, top: string | undefined): string {
  let dir = resolve(cwd);
  const stop = top === undefined ? undefined : resolve(top);
  for (;;) {
    if (holdsPipeline(dir)) return dir;
    if (stop === undefined || dir === stop || relative(stop, dir).startsWith('..')) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new NoPipelineError(resolve(cwd));
}

/** Finds and loads the pipeline of `cwd`. */
export function openPipeline(cwd: string, top: string | undefined): LoadedPipeline {
  return loadPipeline(findProjectRoot(cwd, top));
}
