/**
 * The registry end to end, shared by the CLI and the action: find the run, find the model
 * files (an error before any tag exists), write and push the tag, publish the GitHub release
 * (when GitHub is reachable), and record provenance on the run. Also: publishing the release
 * of an existing version again (`ghml model release <tag>`), adopting lightweight tags made by
 * GitHub's "Draft a new release", and the other registry actions with their provenance.
 */
import type { GhmlConfig, ModelSettings } from '../config/config-types.js';
import { metricSettings } from '../config/settings-lookup.js';
import type { Git } from '../git/git.js';
import { readActionsEnvironment } from '../tracking/ingest/github-context.js';
import type { StoredRun, TrackingStore } from '../tracking/store/tracking-store.js';
import { renderModelCard } from './releases/model-card.js';
import type { ModelFile } from './releases/model-files.js';
import { resolveConfiguredFiles, resolveGivenFiles } from './releases/model-files.js';
import { assertModelName } from './tags/model-name.js';
import { metadataFromRun } from './registry-ports.js';
import type { RegisteredVersion } from './registry-ports.js';
import { InvalidNameError, RegistryLookupError, RegistryRuleError } from './registry-errors.js';
import { readRegistry, readTagRecords } from './registry-reader.js';
import { adoptableTagRecord, RegistryService } from './registry-service.js';
import type { TagResult } from './registry-service.js';
import type { RegistryState, StageSort } from './registry-state.js';
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
import type {
  PublishedRelease,
  ReleaseContent,
  StagedRelease,
} from './releases/release-publisher.js';
import { releaseAssetApiUrl, releaseDownloadUrl } from './releases/release-target.js';
import type { SemVerBump } from './tags/semver.js';
import type { TagArtifact, TagMetadata } from './tags/tag-message.js';
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
}

export interface RegisterModelRequest {
  name: string;
  version?: string;
  bump?: SemVerBump;
  /** Run id (or unique prefix); default: the latest FINISHED run of the experiment at HEAD. */
  runId?: string;
  /** Work-tree files, instead of ghml.yml's `registry.models.<name>.path`. */
  paths?: string[];
  message?: string;
  /** Publish a GitHub release (default true; skipped with a note when GitHub is unreachable). */
  release?: boolean;
}

/** A model file as recorded. */
export interface RecordedFile {
  name: string;
  size: number;
  sha256: string;
  origin: ModelFile['origin'];
  uri: string;
}

/** What a registration (or adoption) did. */
export interface RegisterModelResult extends TagResult {
  runId: string;
  files: RecordedFile[];
  /** The release, or null when none was published. */
  release: { id: number; url: string; created: boolean } | null;
  provenance: ProvenanceResult;
}

/** The `registry` service over the context's repository. */
export function registryService(context: RegistryContext): RegistryService {
  return new RegistryService({
    git: context.git,
    settings: context.config.registry,
    remote: context.config.tracking.remote,
    fetch: context.fetchTags ?? true,
    warn: context.note,
    ...(context.sort === undefined ? {} : { sort: context.sort }),
    ...(context.now === undefined ? {} : { now: context.now }),
  });
}

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
  const files = await modelFiles(context, settings, run, request.paths);
  const releases = releaseClient(context, request.release);

  const service = registryService(context);
  const version = await service.planVersion({
    name,
    ...(request.version === undefined ? {} : { version: request.version }),
    ...(request.bump === undefined ? {} : { bump: request.bump }),
  });
  const tag = TagName.register(name, version).toString();
  // API asset URLs name the asset's id: upload before the tag, so the tag can record them.
  const staged =
    releases !== undefined && context.config.registry.assetUrls === 'api' && files.length > 0
      ? await stageRelease(releases, tag, {
          name: tag,
          assets: files.map((f) => ({ name: f.name, data: f.data })),
        })
      : undefined;
  const recorded = recordFiles(files, run.id, releases, tag, staged);
  const metadata = metadataFor(run, recorded);
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
  let release: PublishedRelease | undefined;
  let releaseError: unknown;
  if (releases && staged) {
    try {
      const content = releaseContent(context, registered, run, files, settings);
      release = await finishStagedRelease(releases, staged, content.body);
    } catch (error) {
      releaseError = error;
    }
  } else if (releases) {
    const publisher = new GitHubReleasePublisher(releases, () =>
      releaseContent(context, registered, run, files, settings),
    );
    try {
      await publisher.publishVersion(registered);
      release = publisher.published;
    } catch (error) {
      releaseError = error;
    }
  }
  return finishRegistration(context, 'register', {
    tagResult,
    runId: run.id,
    recorded,
    release,
    releaseError,
  });
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
  const files = await modelFiles(context, settings, run, options.paths);
  checkAgainstTag(files, metadata.artifacts ?? [], tagText);
  const registered: RegisteredVersion = {
    model: tag.model,
    version: tag.version,
    tag: tagText,
    commit: found.commit,
    summary: found.registered.summary,
    metadata,
  };
  return publishRelease(
    releases,
    tagText,
    releaseContent(context, registered, run, files, settings),
  );
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
  const files = await modelFiles(context, settings, run, options.paths);
  const releases = releaseClient(context, options.release);
  const recorded = recordFiles(files, run.id, releases, tagText);
  const metadata = metadataFor(run, recorded);
  const summary = options.message ?? `Register ${tag.model} ${tag.version} (adopted)`;
  const tagResult = await service.adopt(tagText, { message: summary, metadata });

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
        releaseContent(context, registered, run, files, settings),
        options.releaseId === undefined ? {} : { releaseId: options.releaseId },
      );
    } catch (error) {
      releaseError = error;
    }
  }
  return finishRegistration(context, 'adopt', {
    tagResult,
    runId: run.id,
    recorded,
    release,
    releaseError,
  });
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
async function finishRegistration(
  context: RegistryContext,
  action: 'register' | 'adopt',
  done: {
    tagResult: TagResult;
    runId: string;
    recorded: RecordedFile[];
    release: PublishedRelease | undefined;
    releaseError: unknown;
  },
): Promise<RegisterModelResult> {
  const { tagResult, runId, recorded, release, releaseError } = done;
  const provenance = await provenanceFor(context, runId, action, tagResult);
  if (releaseError !== undefined) throw releaseError;
  return {
    ...tagResult,
    runId,
    files: recorded,
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
): Promise<ModelFile[]> {
  const sources = {
    root: context.root,
    cwd: context.cwd,
    ...(run === undefined ? {} : { run }),
    readArtifact: (r: StoredRun, path: string) => context.store.readArtifact(r, path),
  };
  if (paths !== undefined && paths.length > 0) return resolveGivenFiles(paths, sources);
  if (settings !== undefined && settings.path.length > 0) {
    return resolveConfiguredFiles(settings.path, sources);
  }
  context.note(
    'ghml: no model files (set registry.models.<name>.path in ghml.yml or pass --path); registering the tag only.',
  );
  return [];
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

/**
 * URIs of the files: the release asset's API URL when the release was staged for it
 * (`registry.asset_urls: api`), else its download URL when a release is published, else
 * `ghml-run:<run-id>/<name>` (the bytes stay with the run: its stored artifacts or the work tree).
 */
function recordFiles(
  files: ModelFile[],
  runId: string,
  releases: ReleaseClient | undefined,
  tag: string,
  staged?: StagedRelease,
): RecordedFile[] {
  return files.map((f) => {
    const asset = staged?.assets.find((a) => a.name === f.name);
    let uri = `ghml-run:${runId}/${encodeURIComponent(f.name)}`;
    if (releases && asset) uri = releaseAssetApiUrl(releases.target, asset.id);
    else if (releases) {
      uri = releaseDownloadUrl(releases.target.serverUrl, releases.target.repo, tag, f.name);
    }
    return { name: f.name, size: f.size, sha256: f.sha256, origin: f.origin, uri };
  });
}

function metadataFor(run: StoredRun, files: RecordedFile[]): TagMetadata {
  const fromRun = metadataFromRun(run.record);
  if (files.length === 0) return fromRun;
  const artifacts: TagArtifact[] = files.map((f) => ({
    uri: f.uri,
    sha256: f.sha256,
    size: f.size,
  }));
  return { ...fromRun, artifacts };
}

function releaseContent(
  context: RegistryContext,
  version: RegisteredVersion,
  run: StoredRun | undefined,
  files: ModelFile[],
  settings: ModelSettings | undefined,
): ReleaseContent {
  const experiment = version.metadata.experiment ?? run?.experiment;
  const body = renderModelCard({
    model: version.model,
    version: version.version,
    tag: version.tag,
    commit: version.commit,
    description: settings?.description ?? null,
    type: settings?.type ?? null,
    metadata: version.metadata,
    ...(run === undefined ? {} : { run: run.record }),
    files,
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
  return {
    name: version.tag,
    body,
    assets: files.map((f) => ({ name: f.name, data: f.data })),
  };
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
export async function readRegistryState(context: RegistryContext): Promise<RegistryState> {
  return registryService(context).list();
}
