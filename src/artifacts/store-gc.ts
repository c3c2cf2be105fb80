/**
 * Garbage collection of run manifests in the store: `planGc` lists the tags of
 * `<prefix>/runs` whose runs no longer exist on the tracking branch, and `applyGc` deletes those
 * manifests. Guards, in order: only tags shaped like run ids are considered; a live run is kept;
 * a run that a registered model version names (by run id or manifest digest) is kept; a tag
 * whose manifest is not ghml's run manifest is kept. The model repositories are never touched,
 * so a registered version survives even when its run's manifest goes (its blobs are its own
 * repository's). `applyGc` re-checks each tag just before deleting and skips any that moved.
 * Deleting a manifest frees blobs only when the registry's own garbage collection runs.
 */
import type { ArtifactStore } from './artifact-store.js';
import { GhmlError } from '../errors/ghml-error.js';
import { InvalidManifestError } from './oci/oci-errors.js';
import { OCI_MANIFEST_TYPE, parseRunManifest } from './oci/run-manifest.js';

/** ULIDs (ghml's run ids): 26 Crockford base32 characters. */
const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A registered model version, as the registry tags record it. */
export interface RegisteredVersion {
  runId?: string;
  manifestDigest?: string;
}

export interface GcCandidate {
  runId: string;
  manifestDigest: string;
}

export interface GcPlan {
  store: string;
  repository: string;
  /** Manifests of deleted runs: what `applyGc` deletes. */
  candidates: GcCandidate[];
  /** Tags of deleted runs kept anyway, and why. */
  kept: Array<{ tag: string; reason: string }>;
}

/** Lists the store's run manifests whose runs were deleted; changes nothing. */
export async function planGc(
  store: ArtifactStore,
  options: { liveRunIds: Iterable<string>; registered: readonly RegisteredVersion[] },
): Promise<GcPlan> {
  const live = new Set(options.liveRunIds);
  const registeredRuns = new Set(
    options.registered.flatMap((v) => (v.runId === undefined ? [] : [v.runId])),
  );
  const registeredDigests = new Set(
    options.registered.flatMap((v) => (v.manifestDigest === undefined ? [] : [v.manifestDigest])),
  );
  const plan: GcPlan = {
    store: store.url,
    repository: store.runsRepository,
    candidates: [],
    kept: [],
  };
  for (const tag of await store.client.listTags(store.runsRepository)) {
    if (live.has(tag)) continue;
    if (!RUN_ID.test(tag)) {
      plan.kept.push({ tag, reason: 'not a run id' });
      continue;
    }
    if (registeredRuns.has(tag)) {
      plan.kept.push({ tag, reason: 'a registered model version names this run' });
      continue;
    }
    const fetched = await store.client.getManifest(store.runsRepository, tag, [OCI_MANIFEST_TYPE]);
    if (fetched === null) continue;
    if (registeredDigests.has(fetched.digest)) {
      plan.kept.push({ tag, reason: 'a registered model version has this manifest' });
      continue;
    }
    try {
      const manifest = parseRunManifest(
        fetched.bytes,
        `${store.registry}/${store.runsRepository}:${tag}`,
      );
      if (manifest.runId !== tag) {
        plan.kept.push({ tag, reason: `its manifest names run ${manifest.runId}` });
        continue;
      }
    } catch (error) {
      if (!(error instanceof InvalidManifestError)) throw error;
      plan.kept.push({ tag, reason: 'not a ghml run manifest' });
      continue;
    }
    plan.candidates.push({ runId: tag, manifestDigest: fetched.digest });
  }
  return plan;
}

/** The plan was made for another store. */
export class GcPlanMismatchError extends GhmlError {
  constructor(planStore: string, store: string) {
    super(`The gc plan is for ${planStore}, not ${store}.`, {
      hint: 'plan again with `ghml gc --dry-run`',
    });
    this.name = 'GcPlanMismatchError';
  }
}

/**
 * Deletes the plan's manifests. Each tag is resolved again first: one that is gone or points at
 * other content now is skipped. Returns what was deleted and what was skipped.
 */
export async function applyGc(
  store: ArtifactStore,
  plan: GcPlan,
): Promise<{ deleted: GcCandidate[]; skipped: Array<GcCandidate & { reason: string }> }> {
  if (plan.store !== store.url || plan.repository !== store.runsRepository) {
    throw new GcPlanMismatchError(plan.store, store.url);
  }
  const deleted: GcCandidate[] = [];
  const skipped: Array<GcCandidate & { reason: string }> = [];
  for (const candidate of plan.candidates) {
    const now = await store.client.manifestDigest(store.runsRepository, candidate.runId, [
      OCI_MANIFEST_TYPE,
    ]);
    if (now === null) {
      skipped.push({ ...candidate, reason: 'already gone' });
      continue;
    }
    if (now !== candidate.manifestDigest) {
      skipped.push({ ...candidate, reason: `the tag now points at ${now}` });
      continue;
    }
    await store.client.deleteManifest(store.runsRepository, candidate.manifestDigest);
    deleted.push(candidate);
  }
  return { deleted, skipped };
}
