/**
 * The registry end to end, shared by the CLI and the action: find the run, find the model
 * files (an error before any tag exists), prepare the release assets, tag the version in the
 * artifact store when the run's files are there, write and push the git tag, publish the
 * GitHub release (when GitHub is reachable), and record provenance on the run. Also:
 * publishing the release of an existing version again (`ghml model release <tag>`), adopting
 * lightweight tags made by GitHub's "Draft a new release", and the other registry actions.
 *
 * What a failure leaves: before the git tag, nothing (a staged draft release is deleted, a
 * store tag made for this registration is removed again); after it, the tag stays and a
 * release that failed is removed, with `ghml model release <tag>` to retry.
 */
import type { ArtifactStore, StoredRunManifest } from '../artifacts/artifact-store.js';
import type { LocalContentStore } from '../artifacts/local-content-store.js';
import { MissingBlobError } from '../artifacts/oci/oci-errors.js';
import { toDigest } from '../artifacts/oci/oci-names.js';
import { SizeMismatchError } from '../artifacts/artifact-errors.js';
import type { GhmlConfig, ModelSettings } from '../config/config-types.js';
import { metricSettings } from '../config/settings-lookup.js';
import type { Git } from '../git/git.js';
import { readActionsEnvironment } from '../tracking/ingest/github-context.js';
import type { StoredRun, TrackingStore } from '../tracking/store/tracking-store.js';
import { renderModelCard } from './releases/model-card.js';
import type { ModelFile, ModelSelection } from './releases/model-files.js';
import { resolveConfiguredFiles, resolveGivenFiles } from './releases/model-files.js';
import { prepareAssets, type PreparedAssets } from './releases/release-assets.js';
import { runFileLocator, type RunFileLocator } from './releases/run-file-locator.js';
import { assertModelName } from './tags/model-name.js';
import type { RegisteredVersion } from './registry-ports.js';
import { tagStoreVersion, untagStoreVersion, type StoreVersion } from './store-version.js';
import { metadataFor, recordFiles, type RecordedFile } from './version-files.js';
import { InvalidNameError, RegistryLookupError, RegistryRuleError } from './registry-errors.js';
import { readRegistry, readTagRecords } from './registry-reader.js';
import { adoptableTagRecord } from './registry-service.js';
import { registryService } from './registry-reading.js';
import type { TagResult } from './registry-service.js';
import type { StageSort } from './registry-state.js';
import { recordRegistryEvent, runIdOfVersion } from './registry-provenance.js';
import type { ProvenanceResult, RegistryAction } from './registry-provenance.js';
import type { ReleaseClient } from './releases/release-client.js';
import { InvalidModelFileError, NoRunForModelError } from './releases/release-errors.js';
import {
  discardStagedRelease,
  finishStagedRelease,
  GitHubReleasePublisher,
  publishRelease,
  stageRelease,
} from './releases/release-publisher.js';
import type { PublishedRelease, ReleaseContent } from './releases/release-publisher.js';
import type { SemVerBump } from './tags/semver.js';
import type { TagArtifact } from './tags/tag-message.js';
import { TagName } from './tags/tag-name.js';

/** What the workflow works on; the CLI and the action fill it. */
export interface RegistryContext {
  git: Git;
  /** Repository root. */
  root: string;
  /** Where `--path` values are relative to. */
  cwd: string;
  config: GhmlConfig;
  store: TrackingStore;
  /** Environment (Actions variables: the PR head sha from the event payload). */
  env: NodeJS.ProcessEnv;
  /** GitHub releases; undefined when GitHub is not reachable. */
  releases?: ReleaseClient;
  /** Why GitHub is not reachable, for the one-line note. */
  noGitHubReason?: string;
  /** One-line notes and warnings for the user (stderr). */
  note: (message: string) => void;
  /** Fetch tags before each operation (default true). */
  fetchTags?: boolean;
  /** How a stage's current version is chosen (default 'timestamp': latest assignment wins). */
  sort?: StageSort;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** The artifact store in force (null or absent: none). */
  artifactStore?: ArtifactStore | null;
  /** Why the store in force could not be opened, for the note when a run needs it. */
  artifactStoreProblem?: string;
  /** The local content cache (`<git dir>/ghml/objects`), where runs recorded here keep files. */
  localCache?: LocalContentStore;
  /** GitHub's asset limit in bytes (default 2 GiB); files at or above it are linked instead. */
  maxAssetBytes?: number;
}

export type { RecordedFile } from './version-files.js';
export { readRegistryState, registryService } from './registry-reading.js';

export interface RegisterModelRequest {
  name: string;
  version?: string;
  bump?: SemVerBump;
  /** Run id (or unique prefix); default: the latest FINISHED run of the experiment at HEAD. */
  runId?: string;
  /**
   * Files or a folder, instead of ghml.yml's `registry.models.<name>.path`: looked up among the
   * run's artifacts first when `runId` is given, else in the work tree first.
   */
  paths?: string[];
  message?: string;
  /** Publish a GitHub release (default true; skipped with a note when GitHub is unreachable). */
  release?: boolean;
}

/** What a registration (or adoption) did. */
export interface RegisterModelResult extends TagResult {
  runId: string;
  files: RecordedFile[];
  /** The folder registered whole, with its archive asset (null: files, or no archive). */
  folder: { path: string; archive: TagArtifact | null } | null;
  /** The version in the artifact store, or null. */
  store: { reference: string; digest: string } | null;
  /** The release, or null when none was published. */
  release: { id: number; url: string; created: boolean } | null;
  provenance: ProvenanceResult;
}

/** The `registry` service over the context's repository. */

/** `ghml model register`: see the module comment. */
export async function registerModel(
  context: RegistryContext,
  request: RegisterModelRequest,
): Promise<RegisterModelResult> {
  const name = assertModelName(request.name);
  if (request.version !== undefined && request.bump !== undefined) {
    throw new RegistryRuleError(
      'bad-arguments',
      `Give either a version ('${request.version}') or a bump ('${request.bump}'), not both.`,
      'Drop --bump to register that exact version, or drop --version to bump.',
    );
  }
  const settings = modelSettings(context.config, name);
  const experiment = settings?.experiment ?? name;
  const run =
    request.runId === undefined
      ? await latestFinishedRun(context, experiment, await sourceCommit(context))
      : await namedRun(context, request.runId);
  const { selection, locator } = await modelFiles(
    context,
    settings,
    run,
    request.paths,
    request.runId !== undefined,
  );
  const releases = releaseClient(context, request.release);

  const service = registryService(context);
  const version = await service.planVersion({
    name,
    ...(request.version === undefined ? {} : { version: request.version }),
    ...(request.bump === undefined ? {} : { bump: request.bump }),
  });
  await service.assertRegistrable(name, version, run.record.source.commit);
  const tag = TagName.register(name, version).toString();
  const manifest = await storeManifestFor(context, locator, run, selection);
  const prepared = await prepareAssets(selection, {
    release: releases !== undefined,
    ...(context.maxAssetBytes === undefined ? {} : { maxAssetBytes: context.maxAssetBytes }),
  });
  try {
    await checkStoreBlobs(selection, prepared);
    // Staged before the tag: API asset URLs name the asset's id, and bytes streamed from the
    // store are checked only as they stream, so a bad file must fail before anything is tagged.
    const apiUrls = context.config.registry.assetUrls === 'api';
    const staged =
      releases !== undefined && prepared.assets.length > 0 && (apiUrls || prepared.streamsFromStore)
        ? await stageRelease(releases, tag, { name: tag, assets: prepared.assets })
        : undefined;
    let storeVersion: StoreVersion | undefined;
    try {
      storeVersion =
        manifest === null || context.artifactStore == null
          ? undefined
          : await tagStoreVersion(context.artifactStore, manifest, name, version, selection.files);
    } catch (error) {
      if (releases !== undefined && staged !== undefined) {
        await discardStagedRelease(releases, staged);
      }
      throw error;
    }
    const recorded = recordFiles({
      selection,
      runId: run.id,
      tag,
      releases,
      prepared,
      staged,
      storeVersion,
      apiUrls,
    });
    const metadata = metadataFor(run, recorded, selection, storeVersion);
    let tagResult: TagResult;
    try {
      tagResult = await service.register({
        name,
        version,
        commit: run.record.source.commit,
        runId: run.id,
        metadata,
        ...(request.message === undefined ? {} : { message: request.message }),
      });
    } catch (error) {
      if (releases !== undefined && staged !== undefined) {
        await discardStagedRelease(releases, staged);
      }
      if (storeVersion !== undefined) {
        const note = await untagStoreVersion(storeVersion);
        if (note !== undefined) context.note(`ghml: ${note}`);
      }
      throw error;
    }

    const registered: RegisteredVersion = {
      model: name,
      version,
      tag,
      commit: tagResult.commit,
      summary: request.message ?? `Register ${name} ${version}`,
      metadata,
    };
    const content = (): ReleaseContent =>
      releaseContent(context, registered, run, selection, prepared, settings);
    let release: PublishedRelease | undefined;
    let releaseError: unknown;
    if (releases && staged) {
      try {
        release = await finishStagedRelease(releases, staged, content().body);
      } catch (error) {
        releaseError = error;
      }
    } else if (releases) {
      const publisher = new GitHubReleasePublisher(releases, content);
      try {
        await publisher.publishVersion(registered);
        release = publisher.published;
      } catch (error) {
        releaseError = error;
      }
    }
    return await finishRegistration(context, 'register', {
      tagResult,
      runId: run.id,
      recorded: recorded.files,
      release,
      releaseError,
      folder: folderResult(selection, recorded.archive),
      store: metadata.store ?? null,
    });
  } finally {
    await prepared.dispose();
  }
}

/**
 * `ghml model release <tag>`: publishes (or completes) the GitHub release of a registered
 * version, e.g. after a failed upload or a `--no-release` registration. The files must match
 * the sha256 the tag records.
 */
export async function releaseVersion(
  context: RegistryContext,
  tagText: string,
  options: { paths?: string[] } = {},
): Promise<PublishedRelease> {
  const tag = TagName.parse(tagText);
  if (!tag || tag.event !== 'register' || tag.version === undefined) {
    throw new InvalidNameError('tag', tagText, 'only name@vX.Y.Z tags have a release');
  }
  const releases = context.releases;
  if (!releases) {
    throw new RegistryRuleError(
      'bad-arguments',
      `Cannot publish the release of '${tagText}': GitHub is not reachable (${context.noGitHubReason ?? 'no token or repository'}).`,
      'Set GITHUB_TOKEN (or GH_TOKEN) and GITHUB_REPOSITORY, or use a github.com origin.',
    );
  }
  const service = registryService(context);
  await service.sync();
  const state = await readRegistry(context.git);
  const found = state.models
    .find((m) => m.name === tag.model)
    ?.versions.find((v) => v.version === tag.version && v.active);
  if (!found) {
    throw new RegistryLookupError(
      tagText,
      `'${tagText}' is not an active registered version.`,
      'ghml model list shows the registered versions.',
    );
  }
  const metadata = found.registered.metadata ?? {};
  const run = metadata.runId === undefined ? undefined : await tryFindRun(context, metadata.runId);
  const settings = modelSettings(context.config, tag.model);
  // The paths the tag records among the run's artifacts (a folder, or files), unless given.
  const recordedPaths =
    metadata.folder !== undefined
      ? [metadata.folder]
      : (metadata.artifacts ?? []).every((a) => a.path !== undefined) &&
          (metadata.artifacts ?? []).length > 0
        ? (metadata.artifacts ?? []).map((a) => a.path as string)
        : undefined;
  const given = options.paths ?? (run === undefined ? undefined : recordedPaths);
  const { selection } = await modelFiles(
    context,
    settings,
    run,
    given,
    options.paths === undefined && given !== undefined,
  );
  checkAgainstTag(selection.files, metadata.artifacts ?? [], tagText);
  const prepared = await prepareAssets(selection, {
    release: true,
    ...(context.maxAssetBytes === undefined ? {} : { maxAssetBytes: context.maxAssetBytes }),
  });
  try {
    const archive = prepared.archive;
    if (archive !== undefined && metadata.archive !== undefined) {
      if (archive.sha256 !== metadata.archive.sha256) {
        throw new InvalidModelFileError(
          archive.name,
          `the archive built again has sha256 ${archive.sha256}, not the ${metadata.archive.sha256} '${tagText}' records`,
          "The folder's files match the tag but its archive does not: report this as a ghml bug, and register a new version meanwhile.",
        );
      }
    }
    const registered: RegisteredVersion = {
      model: tag.model,
      version: tag.version,
      tag: tagText,
      commit: found.commit,
      summary: found.registered.summary,
      metadata,
    };
    return await publishRelease(
      releases,
      tagText,
      releaseContent(context, registered, run, selection, prepared, settings),
    );
  } finally {
    await prepared.dispose();
  }
}

export interface AdoptOptions {
  /** The release of the tag, when known (a `release: published` event). */
  releaseId?: number;
  message?: string;
  /** Attach files and card to a release (default true; needs GitHub). */
  release?: boolean;
  paths?: string[];
}

/**
 * `ghml model register --adopt <tag>`: a lightweight `name@vX.Y.Z` tag (GitHub's "Draft a new
 * release" makes those) becomes a registered version: the run trained on its commit is found
 * (a clear error when there is none), the files are resolved, the tag is re-created as an
 * annotated tag on the same commit, and the files and card are attached to its release.
 */
export async function adoptTag(
  context: RegistryContext,
  tagText: string,
  options: AdoptOptions = {},
): Promise<RegisterModelResult> {
  const tag = TagName.parse(tagText);
  if (!tag || tag.event !== 'register' || tag.version === undefined) {
    throw new InvalidNameError('tag', tagText, 'only name@vX.Y.Z tags can be adopted as versions');
  }
  const service = registryService(context);
  await service.sync();
  const record = adoptableTagRecord(
    await readTagRecords(context.git),
    tagText,
    `Publish its release with: ghml model release ${tagText}`,
  );
  const settings = modelSettings(context.config, tag.model);
  const experiment = settings?.experiment ?? tag.model;
  const run = await latestFinishedRun(context, experiment, record.commit, tagText);
  const { selection, locator } = await modelFiles(context, settings, run, options.paths, false);
  const releases = releaseClient(context, options.release);
  const manifest = await storeManifestFor(context, locator, run, selection);
  const prepared = await prepareAssets(selection, {
    release: releases !== undefined,
    ...(context.maxAssetBytes === undefined ? {} : { maxAssetBytes: context.maxAssetBytes }),
  });
  try {
    await checkStoreBlobs(selection, prepared);
    const storeVersion =
      manifest === null || context.artifactStore == null
        ? undefined
        : await tagStoreVersion(
            context.artifactStore,
            manifest,
            tag.model,
            tag.version,
            selection.files,
          );
    const recorded = recordFiles({
      selection,
      runId: run.id,
      tag: tagText,
      releases,
      prepared,
      staged: undefined,
      storeVersion,
      apiUrls: false,
    });
    const metadata = metadataFor(run, recorded, selection, storeVersion);
    const summary = options.message ?? `Register ${tag.model} ${tag.version} (adopted)`;
    let tagResult: TagResult;
    try {
      tagResult = await service.adopt(tagText, { message: summary, metadata });
    } catch (error) {
      if (storeVersion !== undefined) {
        const note = await untagStoreVersion(storeVersion);
        if (note !== undefined) context.note(`ghml: ${note}`);
      }
      throw error;
    }

    let release: PublishedRelease | undefined;
    let releaseError: unknown;
    if (releases) {
      const registered: RegisteredVersion = {
        model: tag.model,
        version: tag.version,
        tag: tagText,
        commit: record.commit,
        summary,
        metadata,
      };
      try {
        release = await publishRelease(
          releases,
          tagText,
          releaseContent(context, registered, run, selection, prepared, settings),
          options.releaseId === undefined ? {} : { releaseId: options.releaseId },
        );
      } catch (error) {
        releaseError = error;
      }
    }
    return await finishRegistration(context, 'adopt', {
      tagResult,
      runId: run.id,
      recorded: recorded.files,
      release,
      releaseError,
      folder: folderResult(selection, recorded.archive),
      store: metadata.store ?? null,
    });
  } finally {
    await prepared.dispose();
  }
}

/** The parts of a `release` webhook payload ghml reads. */
export interface ReleaseEventPayload {
  action?: string;
  release?: { id?: number; tag_name?: string; draft?: boolean };
}

/** What `adoptPublishedRelease` did. */
export type AdoptReleaseOutcome =
  { adopted: true; result: RegisterModelResult } | { adopted: false; reason: string };

/**
 * For the action's `release: published` handler: adopts the release's tag when it is a
 * lightweight `name@vX.Y.Z` tag. Anything else is skipped with a reason (not an error), so
 * releases unrelated to models, and releases ghml made itself, pass through.
 */
export async function adoptPublishedRelease(
  context: RegistryContext,
  payload: ReleaseEventPayload,
): Promise<AdoptReleaseOutcome> {
  if (payload.action !== undefined && payload.action !== 'published') {
    return { adopted: false, reason: `the release event is '${payload.action}', not 'published'` };
  }
  const tagText = payload.release?.tag_name;
  const releaseId = payload.release?.id;
  if (typeof tagText !== 'string' || typeof releaseId !== 'number') {
    return { adopted: false, reason: 'the event has no release tag' };
  }
  if (payload.release?.draft === true) {
    return { adopted: false, reason: `the release of '${tagText}' is a draft` };
  }
  const tag = TagName.parse(tagText);
  if (!tag || tag.event !== 'register') {
    return { adopted: false, reason: `'${tagText}' is not a model version tag (name@vX.Y.Z)` };
  }
  await registryService(context).sync();
  const record = (await readTagRecords(context.git)).find((r) => r.tag === tagText);
  if (record?.annotated) {
    return { adopted: false, reason: `'${tagText}' is an annotated tag: registered already` };
  }
  return { adopted: true, result: await adoptTag(context, tagText, { releaseId }) };
}

/** A registry action other than register, with its provenance recorded on the run. */
export interface ActionResult extends TagResult {
  provenance: ProvenanceResult;
}

export async function deregisterModel(
  context: RegistryContext,
  name: string,
  version: string,
  message?: string,
): Promise<ActionResult> {
  const result = await registryService(context).deregister(name, version, message);
  return withProvenance(context, 'deregister', result);
}

export async function promoteModel(
  context: RegistryContext,
  name: string,
  versionRef: string,
  stage: string,
  message?: string,
): Promise<ActionResult> {
  const result = await registryService(context).promote(name, versionRef, stage, message);
  return withProvenance(context, 'promote', result);
}

export async function demoteModel(
  context: RegistryContext,
  name: string,
  stage: string,
  message?: string,
): Promise<ActionResult> {
  const result = await registryService(context).demote(name, stage, message);
  return withProvenance(context, 'demote', result);
}

/**
 * Records the registration on its run, then reports a release failure (the tag exists
 * either way, so provenance comes first) or the result.
 */
/** A folder registered whole, with its archive asset, as a result reports it; null for files. */
function folderResult(
  selection: ModelSelection,
  archive: TagArtifact | undefined,
): RegisterModelResult['folder'] {
  return selection.folder === undefined
    ? null
    : { path: selection.folder.path, archive: archive ?? null };
}

async function finishRegistration(
  context: RegistryContext,
  action: 'register' | 'adopt',
  done: {
    tagResult: TagResult;
    runId: string;
    recorded: RecordedFile[];
    release: PublishedRelease | undefined;
    releaseError: unknown;
    folder: RegisterModelResult['folder'];
    store: RegisterModelResult['store'];
  },
): Promise<RegisterModelResult> {
  const { tagResult, runId, recorded, release, releaseError } = done;
  const provenance = await provenanceFor(context, runId, action, tagResult);
  if (releaseError !== undefined) throw releaseError;
  return {
    ...tagResult,
    runId,
    files: recorded,
    folder: done.folder,
    store: done.store,
    release: release ? { id: release.id, url: release.url, created: release.created } : null,
    provenance,
  };
}

/** Deprecation concerns the model; it is recorded on the run of its latest version. */
export async function deprecateModel(
  context: RegistryContext,
  name: string,
  message?: string,
): Promise<ActionResult> {
  const result = await registryService(context).deprecate(name, message);
  return withProvenance(context, 'deprecate', result);
}

async function withProvenance(
  context: RegistryContext,
  action: RegistryAction,
  result: TagResult,
): Promise<ActionResult> {
  const state = await readRegistry(context.git);
  const version =
    action === 'deprecate'
      ? (state.models.find((m) => m.name === result.model)?.versions.find((v) => v.active)
          ?.version ?? null)
      : result.version;
  const runId = runIdOfVersion(state, result.model, version);
  const provenance = await provenanceFor(context, runId, action, { ...result, version });
  return { ...result, provenance };
}

async function provenanceFor(
  context: RegistryContext,
  runId: string | undefined,
  action: RegistryAction,
  result: Pick<TagResult, 'tag' | 'model' | 'version' | 'stage'>,
): Promise<ProvenanceResult> {
  const push = await context.git.hasRemote(context.config.tracking.remote);
  const outcome = await recordRegistryEvent(
    context.store,
    runId,
    {
      at: (context.now ?? Date.now)(),
      action,
      tag: result.tag,
      model: result.model,
      version: result.version,
      ...(result.stage === null ? {} : { stage: result.stage }),
    },
    { push },
  );
  if (outcome.problem !== undefined && runId !== undefined) {
    context.note(
      `ghml: the tag is written, but the event was not ${outcome.recorded ? 'pushed' : 'recorded'} on run ${runId}: ${outcome.problem}`,
    );
  }
  return outcome;
}

function modelSettings(config: GhmlConfig, name: string): ModelSettings | undefined {
  return Object.hasOwn(config.registry.models, name) ? config.registry.models[name] : undefined;
}

/** The commit runs are looked up at: the PR head on Actions, else HEAD. */
async function sourceCommit(context: RegistryContext): Promise<string> {
  const actions = readActionsEnvironment(context.env);
  return actions?.sourceCommit ?? (await context.git.headCommit());
}

async function latestFinishedRun(
  context: RegistryContext,
  experiment: string,
  commit: string,
  tag?: string,
): Promise<StoredRun> {
  const located = await context.store.runsAtCommit(commit, experiment);
  const finished = (await context.store.readRuns(located)).filter(
    (r) => r.record.status === 'FINISHED',
  );
  const run = finished.at(-1);
  if (run) return run;
  const short = commit.slice(0, 12);
  if (tag !== undefined) {
    throw new NoRunForModelError(
      `Cannot adopt '${tag}': its commit ${short} has no FINISHED run of experiment '${experiment}' on the tracking branch.`,
      `Train on that commit and push the run (ghml run -e ${experiment} -- <command>), or delete the tag.`,
    );
  }
  throw new NoRunForModelError(
    `No FINISHED run of experiment '${experiment}' at commit ${short}; nothing was registered.`,
    `Train first (ghml run -e ${experiment} -- <command>); a run recorded on another machine must be pushed from there (ghml push); or pass --run <run-id>.`,
  );
}

async function namedRun(context: RegistryContext, runId: string): Promise<StoredRun> {
  const run = await context.store.findRun(runId);
  if (run.record.status !== 'FINISHED') {
    throw new NoRunForModelError(
      `Run ${run.id} is ${run.record.status}; only FINISHED runs can be registered.`,
      'Pick a finished run (ghml runs list), or train again.',
    );
  }
  return run;
}

async function tryFindRun(context: RegistryContext, runId: string): Promise<StoredRun | undefined> {
  try {
    return await context.store.findRun(runId);
  } catch {
    return undefined;
  }
}

async function modelFiles(
  context: RegistryContext,
  settings: ModelSettings | undefined,
  run: StoredRun | undefined,
  paths: string[] | undefined,
  runFirst: boolean,
): Promise<{ selection: ModelSelection; locator: RunFileLocator }> {
  const locator = runFileLocator({
    tracking: context.store,
    ...(context.localCache === undefined ? {} : { cache: context.localCache }),
    store: context.artifactStore ?? null,
  });
  const sources = {
    root: context.root,
    cwd: context.cwd,
    ...(run === undefined ? {} : { run }),
    locator,
  };
  if (paths !== undefined && paths.length > 0) {
    return { selection: await resolveGivenFiles(paths, sources, { runFirst }), locator };
  }
  if (settings !== undefined && settings.path.length > 0) {
    return { selection: await resolveConfiguredFiles(settings.path, sources), locator };
  }
  context.note(
    'ghml: no model files (set registry.models.<name>.path in ghml.yml or pass --path); registering the tag only.',
  );
  return { selection: { files: [] }, locator };
}

/**
 * The run's manifest in the store, when the version's files are (partly) in it and it can be
 * tagged as the version; null with a note when the run's store is not the one in force or its
 * upload is still queued. A store that refuses to be read is an error here, before any tag.
 */
async function storeManifestFor(
  context: RegistryContext,
  locator: RunFileLocator,
  run: StoredRun,
  selection: ModelSelection,
): Promise<StoredRunManifest | null> {
  const recorded = run.record.store;
  if (recorded === undefined || selection.files.length === 0) return null;
  const store = context.artifactStore ?? null;
  if (store === null || store.url !== recorded.url) {
    const inForce =
      store === null
        ? `none is in force${context.artifactStoreProblem ? ` (${context.artifactStoreProblem})` : ''}`
        : `the store in force is ${store.url}`;
    context.note(
      `ghml: run ${run.id} keeps its large files in ${recorded.url}, but ${inForce}: the version gets no artifact-store reference (set artifacts.store in ghml.yml).`,
    );
    return null;
  }
  const manifest = await locator.storeManifest(run);
  if (manifest === null) {
    context.note(
      `ghml: run ${run.id}'s files are not in ${store.url} yet (run \`ghml push\` where it was recorded): the version gets no artifact-store reference.`,
    );
    return null;
  }
  const listed = selection.files.some((f) =>
    manifest.files.some((m) => m.path === f.runPath && m.sha256 === f.sha256),
  );
  return listed ? manifest : null;
}

/**
 * Files in the store that no release asset reads (no release, or too large) are checked to be
 * there with their size (a HEAD each), so a version never records a blob the store lost.
 */
async function checkStoreBlobs(selection: ModelSelection, prepared: PreparedAssets): Promise<void> {
  const read = new Set(prepared.archive === undefined ? prepared.assets.map((a) => a.name) : []);
  const everyFileRead = prepared.archive !== undefined;
  for (const file of selection.files) {
    const content = file.bytes.content;
    if (content.kind !== 'blob' || everyFileRead || read.has(file.name)) continue;
    const size = await content.store.client.blobSize(content.repository, toDigest(file.sha256));
    if (size === null) {
      throw new MissingBlobError(
        content.store.registry,
        content.repository,
        toDigest(file.sha256),
        file.runPath ?? file.name,
      );
    }
    if (size !== file.size) throw new SizeMismatchError(file.bytes.where, file.size, size);
  }
}

function releaseClient(
  context: RegistryContext,
  wanted: boolean | undefined,
): ReleaseClient | undefined {
  if (wanted === false) return undefined;
  if (!context.releases) {
    context.note(
      `ghml: no GitHub release: ${context.noGitHubReason ?? 'GitHub is not reachable'}; the tag alone registers the version.`,
    );
    return undefined;
  }
  return context.releases;
}

function releaseContent(
  context: RegistryContext,
  version: RegisteredVersion,
  run: StoredRun | undefined,
  selection: ModelSelection,
  prepared: PreparedAssets,
  settings: ModelSettings | undefined,
): ReleaseContent {
  const experiment = version.metadata.experiment ?? run?.experiment;
  const attached = new Set(prepared.assets.map((a) => a.name));
  const folder = selection.folder;
  const body = renderModelCard({
    model: version.model,
    version: version.version,
    tag: version.tag,
    commit: version.commit,
    description: settings?.description ?? null,
    type: settings?.type ?? null,
    metadata: version.metadata,
    ...(run === undefined ? {} : { run: run.record }),
    files: selection.files.map((f) => ({
      name: f.name,
      sha256: f.sha256,
      size: f.size,
      ...(folder === undefined ? { attached: attached.has(f.name) } : {}),
    })),
    ...(folder === undefined
      ? {}
      : {
          folder: {
            path: folder.path,
            ...(prepared.archive === undefined
              ? {}
              : {
                  archive: {
                    name: prepared.archive.name,
                    sha256: prepared.archive.sha256,
                    size: prepared.archive.size,
                  },
                }),
          },
        }),
    ...(version.metadata.store === undefined ? {} : { store: version.metadata.store }),
    ...(context.releases
      ? {
          repository: {
            serverUrl: context.releases.target.serverUrl,
            repo: context.releases.target.repo,
          },
        }
      : {}),
    trackingBranch: context.config.tracking.branch,
    precision: (key) =>
      experiment === undefined ? 4 : metricSettings(context.config, experiment, key).precision,
  });
  return { name: version.tag, body, assets: prepared.assets };
}

/** Files given for an existing version must be the bytes its tag records. */
function checkAgainstTag(files: ModelFile[], recorded: TagArtifact[], tag: string): void {
  if (recorded.length === 0) return;
  for (const file of files) {
    const match = recorded.find((r) => r.sha256 === file.sha256 && r.size === file.size);
    if (!match) {
      throw new InvalidModelFileError(
        file.path,
        `its sha256 ${file.sha256} is not one that '${tag}' records`,
        `Pass the exact files that were registered (--path), or register a new version.`,
      );
    }
  }
}

/** The registry state, for `list`/`show` (after fetching tags). */
