/**
 * Register, deregister, promote, demote, deprecate, adopt and look up model versions. Every
 * event is an annotated tag in GTO's grammar, created locally and pushed without force when
 * the remote exists; a push that loses a race removes its local tag and fails clearly.
 */
import type { GitRunner } from '../git/git-runner.js';
import type { RegistrySettings } from '../config/config-types.js';
import {
  InvalidNameError,
  RegistryLookupError,
  RegistryRuleError,
  StageNotAllowedError,
  StageOrderError,
  TagConflictError,
  TagPushError,
  VersionExistsError,
} from './registry-errors.js';
import { readRegistry, readTagRecords } from './registry-reader.js';
import { buildRegistryState, compareVersions } from './registry-state.js';
import type {
  ModelState,
  ModelVersion,
  RegistryState,
  StageSort,
  TagRecord,
} from './registry-state.js';
import { metadataFromRun } from './registry-ports.js';
import type { ReleasePublisher, RunLookup } from './registry-ports.js';
import { assertModelName, assertStageName } from './tags/model-name.js';
import { FIRST_VERSION, bumpSemVer, formatSemVer, parseSemVer } from './tags/semver.js';
import type { SemVerBump } from './tags/semver.js';
import { formatTagMessage } from './tags/tag-message.js';
import type { TagMetadata } from './tags/tag-message.js';
import { TagName } from './tags/tag-name.js';
import { TagStore } from './tags/tag-store.js';
import { parseModelReference } from './tags/model-reference.js';

/** What the service is built from. */
export interface RegistryServiceOptions {
  git: GitRunner;
  /** `registry` of ghml.yml: allowed stages and ordering rules. Default: any stage, no rules. */
  settings?: Pick<RegistrySettings, 'stages' | 'requires' | 'gtoStages'>;
  /** Remote tags are fetched from and pushed to, when the repository has it. Default 'origin'. */
  remote?: string;
  /** Fetch the remote's tags before every operation. Default true. */
  fetch?: boolean;
  /** How a stage's current version is chosen. Default 'timestamp' (latest assignment wins). */
  sort?: StageSort;
  /** Describes `runId` in the tag message. */
  runs?: RunLookup;
  /** Called after a version is registered (and pushed). */
  releases?: ReleasePublisher;
  /** Receives warnings (unadopted tags, fetch problems). */
  warn?: (message: string) => void;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** Waits this many milliseconds (default: a timer); tests pass a fake with `now`. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The longest ghml waits for the clock to pass a model's last event (same-second events).
 * A later last event means a clock ahead of this one: ghml refuses rather than write a tag
 * that sorts before it.
 */
export const MAX_CLOCK_WAIT_MS = 5_000;
const CLOCK_SLACK_MS = 50;

export interface RegisterRequest {
  name: string;
  /** Explicit version, e.g. 'v1.2.0'. Exclusive with `bump`. */
  version?: string;
  /** Bump from the greatest version ever registered. Default: patch (first version v0.0.1). */
  bump?: SemVerBump;
  /** Commit (or any rev) the model was trained from. */
  commit: string;
  runId?: string;
  /** Human line of the tag message. */
  message?: string;
  /** Merged over what `runs` says about `runId`. */
  metadata?: TagMetadata;
}

/** The outcome of an operation that wrote one tag. */
export interface TagResult {
  tag: string;
  model: string;
  /** The version concerned (null when a stage pointed at a bare commit). */
  version: string | null;
  commit: string;
  stage: string | null;
  /** True when the tag was pushed to the remote. */
  pushed: boolean;
}

/** What `which` resolves a reference to. */
export interface WhichResult {
  model: string;
  version: string | null;
  commit: string;
  /** The tag that decided it: the registration, or the stage's assignment. */
  tag: string;
  deprecated: boolean;
}

export class RegistryService {
  private readonly git: GitRunner;
  private readonly store: TagStore;
  private readonly options: RegistryServiceOptions;

  constructor(options: RegistryServiceOptions) {
    this.options = options;
    this.git = options.git;
    this.store = new TagStore(options.git, options.remote ?? 'origin');
  }

  /** Fetches the remote's tags when there is a remote and fetching is on. */
  async sync(): Promise<void> {
    if (this.options.fetch === false || !(await this.store.hasRemote())) return;
    const warning = await this.store.fetchTags();
    if (warning !== undefined) this.warn(warning);
  }

  /** The whole registry (after `sync`); warns about unadopted tags. */
  async list(): Promise<RegistryState> {
    await this.sync();
    const state = await readRegistry(this.git, this.sortOption());
    for (const warning of state.warnings) this.warn(warning);
    return state;
  }

  /**
   * The version `register` would give this request now (explicit, or bumped), without writing
   * anything: callers that must name the tag before registering (release URLs) use it.
   */
  async planVersion(request: Pick<RegisterRequest, 'name' | 'version' | 'bump'>): Promise<string> {
    const name = assertModelName(request.name);
    if (request.version !== undefined) {
      if (parseSemVer(request.version) === undefined) {
        throw new InvalidNameError('version', request.version);
      }
      return request.version;
    }
    return nextVersion(findModel(await this.load(), name), request.bump);
  }

  /**
   * Throws what `register` would throw for this version and commit (the version exists, the
   * commit holds a version of the model), without writing anything: a registration that does
   * work elsewhere first (the artifact store, a staged release) checks this before it starts.
   * It reads the local tags only: call it after `planVersion`, which fetched them.
   */
  async assertRegistrable(name: string, version: string, commitRev: string): Promise<void> {
    const commit = await this.store.resolveCommit(commitRev);
    const state = await readRegistry(this.git, this.sortOption());
    checkRegistrable(state, assertModelName(name), version, commit);
  }

  /** Registers a version: annotated tag `name@vX.Y.Z` on the commit, pushed when possible. */
  async register(request: RegisterRequest): Promise<TagResult> {
    const name = assertModelName(request.name);
    if (request.version !== undefined && request.bump !== undefined) {
      throw new RegistryRuleError(
        'bad-arguments',
        `Give either a version ('${request.version}') or a bump ('${request.bump}'), not both.`,
        'Drop --bump to register that exact version, or drop the version to bump.',
      );
    }
    if (request.version !== undefined && parseSemVer(request.version) === undefined) {
      throw new InvalidNameError('version', request.version);
    }
    const commit = await this.store.resolveCommit(request.commit);
    const state = await this.load();
    const model = findModel(state, name);
    const version = request.version ?? nextVersion(model, request.bump);
    const tag = TagName.register(name, version);
    checkRegistrable(state, name, version, commit);

    const metadata = await this.describeRun(request.runId, request.metadata);
    const summary = request.message ?? `Register ${name} ${version}`;
    const result = await this.writeTag(tag, commit, formatTagMessage(summary, metadata), {
      version,
      stage: null,
      conflictHint: `Fetch tags and register another version (e.g. --bump patch).`,
      model,
    });
    await this.options.releases?.publishVersion({
      model: name,
      version,
      tag: tag.toString(),
      commit,
      summary,
      metadata,
    });
    return result;
  }

  /** Deregisters a version: `name@vX.Y.Z!` on its commit. Its stages stop resolving to it. */
  async deregister(name: string, version: string, message?: string): Promise<TagResult> {
    assertModelName(name);
    const state = await this.load();
    const found = requireVersion(findModel(state, name), name, version);
    const tag = TagName.deregister(name, found.version);
    const summary = message ?? `Deregister ${name} ${found.version}`;
    return this.writeTag(tag, found.commit, formatTagMessage(summary, { version: found.version }), {
      version: found.version,
      stage: null,
      conflictHint: 'Someone deregistered it at the same time; check with ghml model list.',
      model: findModel(state, name),
    });
  }

  /**
   * Assigns `stage` to a version ('latest' or vX.Y.Z): `name#stage#N`, where N is the model's
   * highest counter + 1. Checks the stage allowlist and ordering rules of ghml.yml.
   */
  async promote(
    name: string,
    versionRef: string,
    stage: string,
    message?: string,
  ): Promise<TagResult> {
    assertModelName(name);
    this.checkStage(stage);
    const state = await this.load();
    const model = findModel(state, name);
    let found: ModelVersion;
    if (versionRef === 'latest' || versionRef === 'greatest') {
      if (!model?.latest) {
        throw new RegistryLookupError(
          `${name}@latest`,
          `Model '${name}' has no registered version to promote.`,
          `Register one first: ghml model register ${name}`,
        );
      }
      found = model.latest;
    } else {
      found = requireVersion(model, name, versionRef);
    }
    const stageState = model?.stages.find((s) => s.stage === stage);
    if (stageState?.current?.version === found.version) {
      throw new RegistryRuleError(
        'already-in-stage',
        `${name} ${found.version} is already in stage '${stage}'.`,
        'Nothing to do; ghml model list shows each stage.',
      );
    }
    const requires = this.options.settings?.requires;
    const required =
      requires !== undefined && Object.hasOwn(requires, stage) ? requires[stage] : undefined;
    if (required !== undefined) {
      const wasThere = model?.stages
        .find((s) => s.stage === required)
        ?.history.some((e) => e.event === 'assign' && e.version === found.version);
      if (!wasThere) throw new StageOrderError(name, found.version, stage, required);
    }
    const tag = TagName.assign(name, stage, (model?.highestCounter ?? 0) + 1);
    const summary = message ?? `Promote ${name} ${found.version} to ${stage}`;
    return this.writeTag(
      tag,
      found.commit,
      formatTagMessage(summary, { version: found.version, stage }),
      {
        version: found.version,
        stage,
        conflictHint: 'Another promotion took the same counter; run the command again.',
        model,
      },
    );
  }

  /** Unassigns a stage from the version holding it: `name#stage!#N`. */
  async demote(name: string, stage: string, message?: string): Promise<TagResult> {
    assertModelName(name);
    assertStageName(stage);
    const state = await this.load();
    const model = findModel(state, name);
    const current = model?.stages.find((s) => s.stage === stage)?.current;
    if (!model || !current) {
      throw new RegistryLookupError(
        `${name}#${stage}`,
        `Stage '${stage}' of model '${name}' holds no version.`,
        'ghml model list shows which stages are assigned.',
      );
    }
    const tag = TagName.unassign(name, stage, model.highestCounter + 1);
    const label = current.version ?? current.commit.slice(0, 12);
    const summary = message ?? `Demote ${name} ${label} from ${stage}`;
    const metadata: TagMetadata =
      current.version === null ? { stage } : { version: current.version, stage };
    return this.writeTag(tag, current.commit, formatTagMessage(summary, metadata), {
      version: current.version,
      stage,
      conflictHint: 'Another registry change took the same counter; run the command again.',
      model: model,
    });
  }

  /** Deprecates a model: `name@deprecated` (with a counter when that tag exists already). */
  async deprecate(name: string, message?: string): Promise<TagResult> {
    assertModelName(name);
    const state = await this.load();
    const model = findModel(state, name);
    const first = model?.events[0];
    if (!model || !first) throw modelNotFound(name);
    if (model.deprecated) {
      throw new RegistryRuleError(
        'already-deprecated',
        `Model '${name}' is deprecated already.`,
        'Register a new version to bring it back.',
      );
    }
    const plain = TagName.deprecate(name);
    const tag = state.tagNames.has(plain.toString())
      ? TagName.deprecate(name, model.highestCounter + 1)
      : plain;
    const summary = message ?? `Deprecate ${name}`;
    // GTO puts the deprecation on the commit of the model's first event.
    return this.writeTag(tag, first.commit, formatTagMessage(summary, {}), {
      version: null,
      stage: null,
      conflictHint: 'Someone deprecated it at the same time; check with ghml model list.',
      model: model,
    });
  }

  /**
   * Adopts a lightweight registry tag (e.g. made by GitHub's "Draft a new release"): re-creates
   * it as an annotated tag with the same name and commit, and replaces the remote's copy only
   * while it still names that commit.
   */
  async adopt(
    tagText: string,
    options: { message?: string; metadata?: TagMetadata } = {},
  ): Promise<TagResult> {
    const tag = TagName.parse(tagText);
    if (!tag) throw new InvalidNameError('tag', tagText);
    await this.sync();
    const records = await readTagRecords(this.git);
    const record = adoptableTagRecord(records, tagText, 'ghml model list shows it.');
    const state = buildRegistryState(records, this.sortOption());
    if (tag.event === 'register') {
      const other = findModel(state, tag.model)?.versions.find((v) => v.commit === record.commit);
      if (other) {
        throw new RegistryRuleError(
          'commit-has-version',
          `Commit ${record.commit.slice(0, 12)} already holds ${tag.model} ${other.version}${other.active ? '' : ' (deregistered)'}.`,
          `Delete the tag '${tagText}' instead of adopting it.`,
        );
      }
    }

    const pushing = await this.store.hasRemote();
    let lease: string | undefined;
    if (pushing) {
      const remoteObject = await this.store.remoteTagObject(tagText);
      if (remoteObject !== undefined && remoteObject !== record.commit) {
        throw new RegistryRuleError(
          'not-adoptable',
          `Tag '${tagText}' on '${this.store.remote}' no longer names commit ${record.commit.slice(0, 12)}.`,
          `Someone changed or adopted it already: git fetch --force ${this.store.remote} 'refs/tags/${tagText}:refs/tags/${tagText}'`,
        );
      }
      lease = remoteObject;
    }

    const metadata: TagMetadata = {
      ...(tag.version !== undefined ? { version: tag.version } : {}),
      ...(tag.stage !== undefined ? { stage: tag.stage } : {}),
      ...options.metadata,
    };
    const summary = options.message ?? `Adopt ${tagText}`;
    const object = await this.store.createAnnotated(
      tagText,
      record.commit,
      formatTagMessage(summary, metadata),
      {
        force: true,
      },
    );
    if (pushing) {
      const outcome = await this.store.push(tagText, lease);
      if (!outcome.ok) {
        await this.store.setLocal(tagText, record.commit, object);
        if (outcome.conflict) {
          throw new TagConflictError(
            tagText,
            'The remote tag changed meanwhile; fetch tags and check it.',
          );
        }
        throw new TagPushError(tagText, this.store.remote, outcome.detail);
      }
    }
    return {
      tag: tagText,
      model: tag.model,
      version: tag.version ?? null,
      commit: record.commit,
      stage: tag.stage ?? null,
      pushed: pushing,
    };
  }

  /** Resolves `name#stage`, `name@latest` or `name@vX.Y.Z` to a version and commit. */
  async which(reference: string): Promise<WhichResult> {
    const ref = parseModelReference(reference);
    if (!ref) throw new InvalidNameError('reference', reference);
    const state = await this.load();
    const model = findModel(state, ref.model);
    if (!model) throw modelNotFound(ref.model);
    if (ref.stage !== undefined) {
      const current = model.stages.find((s) => s.stage === ref.stage)?.current;
      if (!current) {
        throw new RegistryLookupError(
          reference,
          `Stage '${ref.stage}' of model '${ref.model}' holds no version.`,
          `Promote one: ghml model promote ${ref.model} latest ${ref.stage}`,
        );
      }
      return {
        model: model.name,
        version: current.version,
        commit: current.commit,
        tag: current.assignment.tag,
        deprecated: model.deprecated,
      };
    }
    const found =
      ref.version === 'latest'
        ? model.latest
        : (model.versions.find((v) => v.version === ref.version && v.active) ?? null);
    if (!found) {
      throw new RegistryLookupError(
        reference,
        ref.version === 'latest'
          ? `Model '${ref.model}' has no active version.`
          : `Model '${ref.model}' has no active version ${ref.version}.`,
        `ghml model list shows the versions of '${ref.model}'.`,
      );
    }
    return {
      model: model.name,
      version: found.version,
      commit: found.commit,
      tag: found.registered.tag,
      deprecated: model.deprecated,
    };
  }

  private async load(): Promise<RegistryState> {
    await this.sync();
    return readRegistry(this.git, this.sortOption());
  }

  private sortOption(): { sort?: StageSort } {
    return this.options.sort === undefined ? {} : { sort: this.options.sort };
  }

  private checkStage(stage: string): void {
    assertStageName(stage);
    const allowed = this.options.settings?.stages;
    if (allowed && !allowed.includes(stage)) throw new StageNotAllowedError(stage, allowed);
    const gto = this.options.settings?.gtoStages;
    if (gto && !gto.includes(stage)) throw new StageNotAllowedError(stage, gto, '.gto');
  }

  private async describeRun(
    runId: string | undefined,
    given: TagMetadata | undefined,
  ): Promise<TagMetadata> {
    let fromRun: TagMetadata = {};
    if (runId !== undefined) {
      const run = await this.options.runs?.getRun(runId);
      if (this.options.runs && !run) {
        throw new RegistryLookupError(
          runId,
          `Run '${runId}' was not found on the tracking branch.`,
          'Check the run id with ghml runs list, or register without --run.',
        );
      }
      fromRun = run ? metadataFromRun(run) : { runId };
    }
    return { ...fromRun, ...given };
  }

  private async writeTag(
    tag: TagName,
    commit: string,
    message: string,
    info: {
      version: string | null;
      stage: string | null;
      conflictHint: string;
      model: ModelState | undefined;
    },
  ): Promise<TagResult> {
    await this.waitForClock(info.model, tag.toString());
    const object = await this.store.createAnnotated(tag.toString(), commit, message);
    const pushing = await this.store.hasRemote();
    if (pushing) await this.store.pushOrRollBack(tag.toString(), object, info.conflictHint);
    return {
      tag: tag.toString(),
      model: tag.model,
      version: info.version,
      commit,
      stage: info.stage,
      pushed: pushing,
    };
  }

  /**
   * Tag dates have one-second resolution and GTO orders events by date alone, so a new event
   * must be dated after the model's last one. When that one is from this second (a burst of
   * commands), wait until the clock passes it; the tag is then dated now, never in the future,
   * so an event another tool writes a moment later still sorts after it.
   */
  private async waitForClock(model: ModelState | undefined, tag: string): Promise<void> {
    const last = model?.events.at(-1);
    if (last === undefined) return;
    const now = this.options.now ?? Date.now;
    const sleep =
      this.options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    // git reads a coarse clock (time(2)) that may lag Date.now by a few milliseconds.
    const passAt = (last.date + 1) * 1000 + CLOCK_SLACK_MS;
    const wait = passAt - now();
    if (wait <= 0) return;
    if (wait > MAX_CLOCK_WAIT_MS) {
      throw new RegistryRuleError(
        'clock-behind',
        `The last event of ${model?.name ?? 'the model'} ('${last.tag}') is dated ` +
          `${new Date(last.date * 1000).toISOString()}, ${Math.ceil(wait / 1000)} s ahead of this ` +
          `machine's clock; '${tag}' would sort before it.`,
        'Check the clock of this machine (and of the one that wrote that tag), or retry once that time has passed.',
      );
    }
    while (now() < passAt) await sleep(Math.max(1, passAt - now()));
  }

  private warn(message: string): void {
    this.options.warn?.(message);
  }
}

/**
 * The record of a lightweight tag that can be adopted: it exists, is not annotated yet and
 * names a commit. `annotatedHint` says what to do when it is annotated already.
 */
export function adoptableTagRecord(
  records: readonly TagRecord[],
  tagText: string,
  annotatedHint: string,
): TagRecord {
  const record = records.find((r) => r.tag === tagText);
  if (!record) {
    throw new RegistryLookupError(
      tagText,
      `Tag '${tagText}' does not exist.`,
      'Fetch tags first: git fetch --tags',
    );
  }
  if (record.annotated) {
    throw new RegistryRuleError(
      'not-lightweight',
      `Tag '${tagText}' is an annotated tag already; there is nothing to adopt.`,
      annotatedHint,
    );
  }
  if (record.commit === '') {
    throw new RegistryRuleError(
      'not-adoptable',
      `Tag '${tagText}' does not point at a commit.`,
      'Only tags on commits can be registry events: delete it and tag a commit.',
    );
  }
  return record;
}

function findModel(state: RegistryState, name: string): ModelState | undefined {
  return state.models.find((m) => m.name === name);
}

function modelNotFound(name: string): RegistryLookupError {
  return new RegistryLookupError(
    name,
    `Model '${name}' is not in the registry.`,
    `Register a version first: ghml model register ${name}`,
  );
}

function requireVersion(
  model: ModelState | undefined,
  name: string,
  version: string,
): ModelVersion {
  if (parseSemVer(version) === undefined) throw new InvalidNameError('version', version);
  if (!model) throw modelNotFound(name);
  const found = model.versions.find((v) => v.version === version);
  if (!found) {
    throw new RegistryLookupError(
      `${name}@${version}`,
      `Model '${name}' has no version ${version}.`,
      `ghml model list shows the versions of '${name}'.`,
    );
  }
  if (!found.active) {
    throw new RegistryRuleError(
      'deregistered',
      `${name} ${version} was deregistered.`,
      'Register a new version instead.',
    );
  }
  return found;
}

/**
 * The version a registration without an explicit one gets: bump the greatest version ever
 * registered (deregistered ones included, so a tag name is never reused); first is v0.0.1.
 */
function nextVersion(model: ModelState | undefined, bump: SemVerBump | undefined): string {
  const versions = (model?.versions ?? []).map((v) => v.version).sort(compareVersions);
  const greatest = versions.at(-1);
  const parsed = greatest === undefined ? undefined : parseSemVer(greatest);
  if (!parsed) return FIRST_VERSION;
  return formatSemVer(bumpSemVer(parsed, bump ?? 'patch'));
}

/** See RegistryService.assertRegistrable. */
function checkRegistrable(
  state: RegistryState,
  name: string,
  version: string,
  commit: string,
): void {
  const model = findModel(state, name);
  const tag = TagName.register(name, version);
  if (model?.versions.some((v) => v.version === version) || state.tagNames.has(tag.toString())) {
    const lightweight = state.unadopted.some((u) => u.tag === tag.toString());
    throw new VersionExistsError(
      name,
      version,
      lightweight
        ? `Tag '${tag}' exists as a lightweight tag: run 'ghml model register --adopt ${tag}'.`
        : undefined,
    );
  }
  // GTO allows one version tag per model and commit, deregistered ones included: a second
  // one makes GTO fail for every model of the repository.
  const sameCommit = model?.versions.find((v) => v.commit === commit);
  if (sameCommit) {
    throw new RegistryRuleError(
      'commit-has-version',
      `Commit ${commit.slice(0, 12)} already holds ${name} ${sameCommit.version}` +
        `${sameCommit.active ? '' : ' (deregistered)'}; a commit holds one version of a model.`,
      sameCommit.active
        ? `Promote ${sameCommit.version} instead: ghml model promote ${name} ${sameCommit.version} <stage>`
        : `Commit the model again (a new commit), then register that commit; GTO refuses two versions on one commit even after a deregistration.`,
    );
  }
}
