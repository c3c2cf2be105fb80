/**
 * Why a stage would run, in `dvc status`'s words: a changed command, changed deps (modified,
 * deleted, new), changed params, changed outs (deleted, modified, new, not in cache), or
 * `always changed`. Also computes the stage's cache key: the sha256 of its command, its deps'
 * content hashes and its params' values (DESIGN.md, "Pipelines"), undefined while a dep is
 * missing.
 */
import { createHash } from 'node:crypto';
import type { StageSpec } from '../definition/stage-spec.js';
import type { LockedOutput, LockedPath, LockedStage } from './lock-file.js';
import { canonicalJson, MISSING, type ParamsReader } from './params-values.js';
import type { PathHash, PathHasher } from './path-hasher.js';

export type PathChange = 'modified' | 'deleted' | 'new' | 'not in cache';

export interface StageChanges {
  command: boolean;
  deps: Record<string, PathChange>;
  /** params file -> key -> change. */
  params: Record<string, Record<string, PathChange>>;
  outs: Record<string, PathChange>;
  alwaysChanged: boolean;
}

export interface StageCheck {
  stage: StageSpec;
  /** Current deps (undefined hash entries are missing). */
  deps: Array<{ path: string; current: PathHash | undefined }>;
  params: Record<string, Record<string, unknown>>;
  outs: Array<{ path: string; cache: boolean; current: PathHash | undefined }>;
  /** Undefined while a dep or param is missing (the stage cannot run yet). */
  key: string | undefined;
  changes: StageChanges;
  /** Nothing changed and every output is in place. */
  upToDate: boolean;
  /**
   * Only outputs are missing, and the lock says what they were: a restore may do. For a
   * frozen stage, whatever its inputs are now.
   */
  onlyOutputsMissing: boolean;
  /** ghml.lock has no entry for the stage. */
  neverRan: boolean;
}

const KEY_VERSION = 'ghml.stage/1';

/** The cache key of a stage with these inputs. */
export function cacheKey(
  cmd: readonly string[],
  deps: ReadonlyArray<{ path: string; hash: string }>,
  params: Record<string, Record<string, unknown>>,
): string {
  const body = canonicalJson({
    v: KEY_VERSION,
    cmd,
    deps: [...deps]
      .map((d) => [d.path, d.hash])
      .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    params,
  });
  return createHash('sha256').update(body).digest('hex');
}

export function isEmpty(changes: StageChanges): boolean {
  return (
    !changes.command &&
    !changes.alwaysChanged &&
    Object.keys(changes.deps).length === 0 &&
    Object.keys(changes.params).length === 0 &&
    Object.keys(changes.outs).length === 0
  );
}

export function lockedPath(path: string, hash: PathHash): LockedPath {
  return { path, hash: hash.hash, size: hash.size, nfiles: hash.nfiles };
}

/**
 * Checks a stage against its lock entry. `inCache` tells whether an output hash can be
 * restored from the local cache (for 'not in cache').
 */
export function checkStage(
  stage: StageSpec,
  locked: LockedStage | undefined,
  hasher: PathHasher,
  params: ParamsReader,
  inCache: (hash: string) => boolean,
): StageCheck {
  const changes: StageChanges = {
    command: locked !== undefined && canonicalJson(locked.cmd) !== canonicalJson(stage.cmd),
    deps: {},
    params: {},
    outs: {},
    alwaysChanged: stage.alwaysChanged,
  };
  const lockedDeps = new Map<string, LockedPath>((locked?.deps ?? []).map((d) => [d.path, d]));
  const deps = stage.deps.map((d) => ({ path: d.path, current: hasher.hash(d.path) }));
  if (!stage.frozen) {
    for (const dep of deps) {
      const before = lockedDeps.get(dep.path);
      if (dep.current === undefined) changes.deps[dep.path] = 'deleted';
      else if (before === undefined) changes.deps[dep.path] = 'new';
      else if (before.hash !== dep.current.hash) changes.deps[dep.path] = 'modified';
    }
    for (const path of lockedDeps.keys()) {
      if (!stage.deps.some((d) => d.path === path)) changes.deps[path] = 'deleted';
    }
  }
  const values = params.values(stage.params);
  let paramsMissing = false;
  if (!stage.frozen) {
    for (const [file, byKey] of Object.entries(values)) {
      const before = locked?.params[file] ?? {};
      for (const [key, value] of Object.entries(byKey)) {
        let change: PathChange | undefined;
        if (value === MISSING) {
          change = 'deleted';
          paramsMissing = true;
        } else if (!Object.hasOwn(before, key)) change = 'new';
        else if (canonicalJson(before[key]) !== canonicalJson(value)) change = 'modified';
        if (change !== undefined) (changes.params[file] ??= {})[key] = change;
      }
    }
  }
  const lockedOuts = new Map<string, LockedOutput>(
    (locked?.outs ?? []).map((o) => [o.path, o as LockedOutput]),
  );
  const outs = stage.outs.map((o) => ({
    path: o.path,
    cache: o.cache,
    current: hasher.hash(o.path),
  }));
  for (const out of outs) {
    const before = lockedOuts.get(out.path);
    if (out.current === undefined) changes.outs[out.path] = 'deleted';
    else if (before === undefined) changes.outs[out.path] = 'new';
    else if (before.hash !== out.current.hash) changes.outs[out.path] = 'modified';
    else if (out.cache && !inCache(out.current.hash)) changes.outs[out.path] = 'not in cache';
  }

  const depsPresent = deps.every((d) => d.current !== undefined);
  const key =
    depsPresent && !paramsMissing
      ? cacheKey(
          stage.cmd,
          deps.map((d) => ({ path: d.path, hash: (d.current as PathHash).hash })),
          stripMissing(values),
        )
      : undefined;
  const inputsSame =
    locked !== undefined &&
    !changes.command &&
    Object.keys(changes.deps).length === 0 &&
    Object.keys(changes.params).length === 0 &&
    key === locked.key;
  const outChanges = Object.values(changes.outs);
  const upToDate =
    (inputsSame || stage.frozen) &&
    !stage.alwaysChanged &&
    outChanges.every((c) => c === 'not in cache');
  // A frozen stage's inputs are not checked: whatever its lock recorded is what it restores.
  const onlyOutputsMissing =
    (inputsSame || (stage.frozen && locked !== undefined)) &&
    !stage.alwaysChanged &&
    outChanges.length > 0 &&
    outChanges.every((c) => c === 'deleted' || c === 'not in cache');
  return {
    stage,
    deps,
    params: values,
    outs,
    key,
    changes,
    upToDate,
    onlyOutputsMissing,
    neverRan: locked === undefined,
  };
}

function stripMissing(
  values: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [file, byKey] of Object.entries(values)) {
    out[file] = {};
    for (const [key, value] of Object.entries(byKey))
      if (value !== MISSING) (out[file] as Record<string, unknown>)[key] = value;
  }
  return out;
}
