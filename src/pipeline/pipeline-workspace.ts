/**
 * Everything `ghml repro` and `ghml status` share about a project's working state: the hash
 * state, the params files, the lock file, the content stores for outputs and the run cache.
 * All of ghml's own files live under `<git dir>/ghml/` (never in the work tree) except
 * ghml.lock, which belongs beside the definition.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../artifacts/content-store.js';
import { LocalContentStore, localCacheRoot } from '../artifacts/local-content-store.js';
import { OutputCache } from './run/output-cache.js';
import { RunCache, type TrackingSource } from './run/run-cache.js';
import { HashState } from './state/hash-state.js';
import { LockFile } from './state/lock-file.js';
import { ParamsReader } from './state/params-values.js';
import { DIR_SUFFIX, isDirHash, PathHasher } from './state/path-hasher.js';

export interface PipelineWorkspace {
  root: string;
  state: HashState;
  hasher: PathHasher;
  params: ParamsReader;
  lock: LockFile;
  local: LocalContentStore;
  outputs: OutputCache;
  runCache: RunCache;
  /** Folder for ghml's pipeline files (`<git dir>/ghml/pipeline`). */
  dir: string;
  /** True when the local cache holds the output with this hash (a folder: its manifest). */
  inLocalCache(hash: string): boolean;
}

export interface WorkspaceOptions {
  root: string;
  gitDir: string;
  /** Remote content stores (the artifact store), after the local cache. */
  remoteStores?: readonly ContentStore[];
  /** The tracking branch for run-cache lookups, opened on first use. */
  tracking?: TrackingSource;
  warn(message: string): void;
}

export function openWorkspace(options: WorkspaceOptions): PipelineWorkspace {
  const dir = join(options.gitDir, 'ghml', 'pipeline');
  const state = HashState.open(join(dir, 'state.json'));
  const local = new LocalContentStore(localCacheRoot(options.gitDir));
  const outputs = new OutputCache(
    [local, ...(options.remoteStores ?? [])],
    join(dir, 'tmp'),
    options.warn,
  );
  return {
    root: options.root,
    state,
    hasher: new PathHasher(options.root, state),
    params: new ParamsReader(options.root),
    lock: LockFile.read(options.root),
    local,
    outputs,
    runCache: new RunCache(join(dir, 'run-cache'), options.tracking),
    dir,
    inLocalCache(hash) {
      const sha = isDirHash(hash) ? hash.slice(0, -DIR_SUFFIX.length) : hash;
      try {
        return statSync(local.pathOf(sha)).isFile();
      } catch {
        return false;
      }
    },
  };
}
