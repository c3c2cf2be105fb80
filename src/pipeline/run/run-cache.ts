/**
 * The run cache: "has a stage with this cache key run before, and what did it write?".
 * Two places answer, nearest first:
 * 1. `<git dir>/ghml/pipeline/run-cache/<key[0:2]>/<key>.json`, written on this machine each
 *    time a stage runs or is restored (the stage's lock entry);
 * 2. the tracking branch, which every clone can fetch: each stage run is a ghml run tagged
 *    `ghml.pipeline.cache_key`, and its artifact index lists the outputs' paths, sha256 and
 *    sizes (the launcher links them in; `ghml.pipeline.out_files` counts them, so a listing the
 *    collector cut short is not trusted). The bytes then come from the content stores, or,
 *    for small outputs, from the branch itself (BranchArtifactStore).
 * An entry is only a hint: every restored byte is verified against its digest.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContentStore } from '../../artifacts/content-store.js';
import { ContentNotFoundError } from '../../artifacts/artifact-errors.js';
import type { StageSpec } from '../definition/stage-spec.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import type { LockedOutput, LockedStage } from '../state/lock-file.js';
import { DIR_SUFFIX, manifestBytes, type ManifestEntry } from '../state/path-hasher.js';
import { OUT_FILES_TAG } from './stage-launcher.js';

export const CACHE_KEY_TAG = 'ghml.pipeline.cache_key';

/** What the run cache knows about a key. */
export interface RunCacheHit {
  outs: LockedOutput[];
  /** Folder manifests known without a store (from a run's artifact index). */
  manifests: Map<string, ManifestEntry[]>;
  /** Extra places bytes can come from (the run's stored artifacts). */
  extraStores: ContentStore[];
  /** Where the entry was found. */
  source: 'local' | 'branch';
  /** The run that produced the outputs, when known. */
  runId: string | null;
}

/** Reads the stored artifacts of one run as a read-only content store. */
class BranchArtifactStore implements ContentStore {
  readonly description: string;
  private readonly bySha = new Map<string, string>();

  constructor(
    private readonly tracking: TrackingStore,
    private readonly run: StoredRun,
  ) {
    this.description = `the stored artifacts of run ${run.id}`;
    for (const artifact of run.record.artifacts)
      if (artifact.stored) this.bySha.set(artifact.sha256, artifact.path);
  }

  has(sha256: string): Promise<boolean> {
    return Promise.resolve(this.bySha.has(sha256));
  }

  put(): Promise<{ sha256: string; size: number }> {
    return Promise.reject(new Error(`${this.description} is read-only`));
  }

  async get(sha256: string, dest: string): Promise<void> {
    const path = this.bySha.get(sha256);
    if (path === undefined) throw new ContentNotFoundError(this.description, sha256);
    const bytes = await this.tracking.readArtifact(this.run, path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256)
      throw new Error(`${this.description}: ${path} does not match its digest`);
    mkdirSync(dirname(dest), { recursive: true });
    const temp = `${dest}.${process.pid}.tmp`;
    writeFileSync(temp, bytes);
    renameSync(temp, dest);
  }
}

/** The tracking branch to look keys up on, opened on first use (a no-op repro never does). */
export type TrackingSource = () => Promise<{ store: TrackingStore; fetch: boolean } | undefined>;

export class RunCache {
  private opened: Promise<{ store: TrackingStore; fetch: boolean } | undefined> | undefined;
  private fetched = false;

  constructor(
    private readonly dir: string,
    /** Opens the tracking branch; `fetch`: fetch it (once) before the first branch lookup. */
    private readonly tracking: TrackingSource | undefined,
  ) {}

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** Remembers what a stage with this key wrote. Failures are ignored (a cache). */
  record(key: string, entry: LockedStage): void {
    const file = this.file(key);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(temp, JSON.stringify(entry));
      renameSync(temp, file);
    } catch {
      rmSync(temp, { force: true });
    }
  }

  private local(key: string, stage: StageSpec): RunCacheHit | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.file(key), 'utf8')) as LockedStage;
      if (entry.key !== key || !coversOutputs(entry.outs, stage)) return undefined;
      return {
        outs: entry.outs as LockedOutput[],
        manifests: new Map(),
        extraStores: [],
        source: 'local',
        runId: null,
      };
    } catch {
      return undefined;
    }
  }

  /** The newest entry for `key` that lists every output of `stage`. */
  async lookup(
    key: string,
    stage: StageSpec,
    experiment: string,
  ): Promise<RunCacheHit | undefined> {
    const local = this.local(key, stage);
    if (local !== undefined || this.tracking === undefined) return local;
    this.opened ??= this.tracking();
    const tracking = await this.opened;
    if (tracking === undefined) return undefined;
    if (tracking.fetch && !this.fetched) {
      this.fetched = true;
      try {
        await tracking.store.fetch();
      } catch {
        // Offline: the local branch still answers.
      }
    }
    let runs: StoredRun[];
    try {
      runs = await tracking.store.listRuns({ experiment });
    } catch {
      return undefined;
    }
    for (const run of runs.reverse()) {
      if (run.deleted || run.record.status !== 'FINISHED' || run.record.tags[CACHE_KEY_TAG] !== key)
        continue;
      const hit = fromRun(run, stage);
      if (hit === undefined) continue;
      hit.extraStores.push(new BranchArtifactStore(tracking.store, run));
      return hit;
    }
    return undefined;
  }
}

function coversOutputs(outs: readonly LockedOutput[], stage: StageSpec): boolean {
  return stage.outs.every((o) => outs.some((l) => l.path === o.path));
}

/** Rebuilds a stage's outputs from a run's artifact index; undefined when incomplete. */
function fromRun(run: StoredRun, stage: StageSpec): RunCacheHit | undefined {
  const expected = Number(run.record.tags[OUT_FILES_TAG]);
  if (!Number.isInteger(expected)) return undefined;
  const artifacts = run.record.artifacts;
  const outs: LockedOutput[] = [];
  const manifests = new Map<string, ManifestEntry[]>();
  let counted = 0;
  for (const out of stage.outs) {
    const file = artifacts.find((a) => a.path === out.path);
    if (file !== undefined) {
      outs.push({
        path: out.path,
        hash: file.sha256,
        size: file.size,
        nfiles: 1,
        cache: out.cache,
      });
      counted += 1;
      continue;
    }
    const prefix = `${out.path}/`;
    const inside = artifacts.filter((a) => a.path.startsWith(prefix));
    if (inside.length === 0) return undefined;
    const manifest: ManifestEntry[] = inside
      .map((a): ManifestEntry => [a.path.slice(prefix.length), a.sha256, a.size])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const digest = createHash('sha256').update(manifestBytes(manifest)).digest('hex');
    const hash = `${digest}${DIR_SUFFIX}`;
    manifests.set(hash, manifest);
    outs.push({
      path: out.path,
      hash,
      size: manifest.reduce((sum, [, , size]) => sum + size, 0),
      nfiles: manifest.length,
      cache: out.cache,
    });
    counted += manifest.length;
  }
  if (counted !== expected) return undefined;
  return { outs, manifests, extraStores: [], source: 'branch', runId: run.id };
}
