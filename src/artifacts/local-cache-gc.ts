/**
 * Pruning the local content cache (`<git dir>/ghml/objects`), `ghml gc --local`: large files of
 * runs that were uploaded, leftovers of runs abandoned by a killed ghml, and pipeline outputs no
 * longer in `ghml.lock` would otherwise stay there forever. An object is kept when it is the
 * only copy anything still needs:
 * - a file waiting for the store (a pending upload);
 * - an artifact of a run on the branch that is neither on the branch nor in a store (its `uri`
 *   is not `oci://`), deleted runs included (`ghml runs restore` brings them back);
 * - an output `ghml.lock` records (a folder's manifest and every file it lists);
 * - anything written in the last `minAgeMs` (a `ghml run` or `ghml repro` may be writing it now).
 * Everything else is removed. Temp files of interrupted writes older than `minAgeMs` go too.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactEntry } from '../tracking/run-record.js';

const SHA256 = /^[0-9a-f]{64}$/;
const DIR_SUFFIX = '.dir';

export interface LocalGcInputs {
  /** The cache root (`localCacheRoot(gitDir)`). */
  root: string;
  /** Artifacts of every run on the branch (deleted ones too). */
  runArtifacts: Iterable<ArtifactEntry>;
  /** sha256 of every file pending upload. */
  pending: Iterable<string>;
  /** Hashes of the outputs ghml.lock records: a file's sha256 or a folder's `<sha256>.dir`. */
  lockedOutputs: Iterable<string>;
  /** Objects younger than this are kept (default one hour). */
  minAgeMs?: number;
  now?: number;
}

export interface LocalGcPlan {
  root: string;
  /** Objects to remove, with their sizes. */
  remove: Array<{ sha256: string; size: number }>;
  /** Interrupted writes to remove. */
  temp: string[];
  kept: number;
  bytes: number;
}

/** Why each kept object is needed; the rest of the cache can go. */
async function neededObjects(inputs: LocalGcInputs): Promise<Set<string>> {
  const needed = new Set<string>();
  for (const artifact of inputs.runArtifacts) {
    if (!artifact.stored && !(artifact.uri ?? '').startsWith('oci://')) needed.add(artifact.sha256);
  }
  for (const sha of inputs.pending) needed.add(sha);
  for (const hash of inputs.lockedOutputs) {
    if (!hash.endsWith(DIR_SUFFIX)) {
      needed.add(hash);
      continue;
    }
    const manifest = hash.slice(0, -DIR_SUFFIX.length);
    needed.add(manifest);
    // A folder's manifest is a JSON list of [path, sha256, size]; an unreadable one keeps nothing
    // more (its outputs then run again, as a missing cache entry would make them).
    try {
      const entries = JSON.parse(
        await readFile(join(inputs.root, manifest.slice(0, 2), manifest.slice(2)), 'utf8'),
      ) as unknown;
      if (Array.isArray(entries)) {
        for (const entry of entries) {
          if (Array.isArray(entry) && typeof entry[1] === 'string') needed.add(entry[1]);
        }
      }
    } catch {
      // not in the cache
    }
  }
  return needed;
}

export async function planLocalGc(inputs: LocalGcInputs): Promise<LocalGcPlan> {
  const minAge = inputs.minAgeMs ?? 60 * 60 * 1000;
  const now = inputs.now ?? Date.now();
  const needed = await neededObjects(inputs);
  const plan: LocalGcPlan = { root: inputs.root, remove: [], temp: [], kept: 0, bytes: 0 };
  let shards: string[];
  try {
    shards = await readdir(inputs.root);
  } catch {
    return plan;
  }
  for (const shard of shards.sort()) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const name of (await readdir(join(inputs.root, shard))).sort()) {
      const file = join(inputs.root, shard, name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      const young = now - info.mtimeMs < minAge;
      const sha = shard + name;
      if (!SHA256.test(sha)) {
        if (!young) plan.temp.push(file);
        continue;
      }
      if (young || needed.has(sha)) {
        plan.kept += 1;
        continue;
      }
      plan.remove.push({ sha256: sha, size: info.size });
      plan.bytes += info.size;
    }
  }
  return plan;
}

/** Removes what the plan lists; a file that is already gone is not an error. */
export async function applyLocalGc(plan: LocalGcPlan): Promise<void> {
  for (const { sha256 } of plan.remove) {
    await rm(join(plan.root, sha256.slice(0, 2), sha256.slice(2)), { force: true });
  }
  for (const file of plan.temp) await rm(file, { force: true });
}
