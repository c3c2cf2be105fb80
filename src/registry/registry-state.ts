/**
 * The registry's state, built from its tags. Pure: `buildRegistryState` takes the tags
 * `registry-reader.ts` read and applies GTO's rules:
 * - only annotated tags count; lightweight ones are reported as `unadopted`;
 * - a version is active when its last register/deregister event is a registration;
 * - a (version, stage) pair is active when its last event is an assignment; a stage's current
 *   version is, among the active pairs of active versions, the one assigned last (tag date,
 *   then counter) — or with `sort: 'semver'` the highest version;
 * - `latest` is the greatest active SemVer; a model is deprecated when its last event is a
 *   deprecation (registering or assigning again reactivates it).
 */
import { parseTagMessage } from './tags/tag-message.js';
import type { TagMetadata } from './tags/tag-message.js';
import { TagName } from './tags/tag-name.js';
import type { TagEvent } from './tags/tag-name.js';
import { compareSemVer, parseSemVer } from './tags/semver.js';

/** One tag as `git for-each-ref` reports it. */
export interface TagRecord {
  /** Tag name without 'refs/tags/'. */
  tag: string;
  /** True for an annotated tag (a tag object), false for a lightweight one. */
  annotated: boolean;
  /** The commit the tag points at (peeled). Empty when it points at no commit. */
  commit: string;
  /** The object the ref names: the tag object, or the commit for a lightweight tag. */
  object: string;
  taggerName: string | null;
  taggerEmail: string | null;
  /** Tagger date (annotated) or commit date (lightweight), unix seconds. */
  date: number;
  /** The tag message (annotated tags only; '' otherwise). */
  message: string;
}

/** One counted registry event (an annotated tag). */
export interface RegistryEvent {
  tag: string;
  event: TagEvent;
  model: string;
  /** The version: from the tag (register/deregister) or resolved from the commit (stages). */
  version: string | null;
  stage: string | null;
  counter: number | null;
  commit: string;
  author: string | null;
  authorEmail: string | null;
  /** Unix seconds. */
  date: number;
  /** First line of the tag message. */
  summary: string;
  metadata: TagMetadata | undefined;
}

/** A version of a model. */
export interface ModelVersion {
  version: string;
  commit: string;
  /** The first registration. */
  registered: RegistryEvent;
  /** The last deregistration, when the version is no longer active. */
  deregistered: RegistryEvent | null;
  /** Registered and not deregistered since. */
  active: boolean;
  /** Stages this version currently holds. */
  stages: string[];
}

/** What a stage currently points at. */
export interface StageHolder {
  /** null when the stage was assigned to a commit with no registered version (GTO allows it). */
  version: string | null;
  commit: string;
  /** The assignment that put it there. */
  assignment: RegistryEvent;
}

/** A stage of a model: who holds it now, and every assignment/unassignment, oldest first. */
export interface StageState {
  stage: string;
  current: StageHolder | null;
  history: RegistryEvent[];
}

/** A model and everything the registry knows about it. */
export interface ModelState {
  name: string;
  /** Versions, highest SemVer first (deregistered ones included, with active: false). */
  versions: ModelVersion[];
  /** Greatest active SemVer, or null. */
  latest: ModelVersion | null;
  /** Stages that ever had an event, by name. */
  stages: StageState[];
  deprecated: boolean;
  /** Every counted event, oldest first. */
  events: RegistryEvent[];
  /** Highest '#N' counter among the model's tags (annotated or not); 0 when none. */
  highestCounter: number;
}

/** A lightweight tag in the registry grammar: not counted until adopted. */
export interface UnadoptedTag {
  tag: string;
  model: string;
  event: TagEvent;
  commit: string;
}

/** How a stage's current version is chosen. */
export type StageSort = 'timestamp' | 'semver';

export interface RegistryState {
  /** Models by name. */
  models: ModelState[];
  unadopted: UnadoptedTag[];
  /** Things a user should know: unadopted tags, events that refer to nothing. */
  warnings: string[];
  /** Every registry-grammar tag name present (annotated or lightweight). */
  tagNames: ReadonlySet<string>;
}

export interface BuildOptions {
  /** Default 'timestamp': the latest assignment wins. */
  sort?: StageSort;
}

const EVENT_PRIORITY: Record<TagEvent, number> = {
  deprecate: 0,
  register: 1,
  deregister: 2,
  assign: 3,
  unassign: 4,
};

/** Orders events: by date, then counter, then register-before-assign, then tag name. */
export function compareEvents(a: RegistryEvent, b: RegistryEvent): number {
  return (
    a.date - b.date ||
    (a.counter ?? 0) - (b.counter ?? 0) ||
    EVENT_PRIORITY[a.event] - EVENT_PRIORITY[b.event] ||
    (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)
  );
}

/** Orders version strings by SemVer precedence, then by text (build metadata). */
export function compareVersions(a: string, b: string): number {
  const pa = parseSemVer(a);
  const pb = parseSemVer(b);
  if (pa && pb) {
    const c = compareSemVer(pa, pb);
    if (c !== 0) return c;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The warning shown for a lightweight registry tag. */
export function unadoptedWarning(tag: string): string {
  return (
    `Tag '${tag}' is a lightweight tag, so the registry does not count it; ` +
    `run 'ghml model register --adopt ${tag}' to adopt it.`
  );
}

interface Collected {
  name: string;
  events: RegistryEvent[];
  highestCounter: number;
}

/** Builds the registry state from tag records (any order). */
export function buildRegistryState(
  records: readonly TagRecord[],
  options: BuildOptions = {},
): RegistryState {
  const sort = options.sort ?? 'timestamp';
  const models = new Map<string, Collected>();
  const unadopted: UnadoptedTag[] = [];
  const warnings: string[] = [];
  const tagNames = new Set<string>();

  for (const record of records) {
    const name = TagName.parse(record.tag);
    if (!name) continue;
    tagNames.add(record.tag);
    let model = models.get(name.model);
    if (!model) {
      model = { name: name.model, events: [], highestCounter: 0 };
      models.set(name.model, model);
    }
    if (name.counter !== undefined && name.counter > model.highestCounter) {
      model.highestCounter = name.counter;
    }
    if (!record.annotated) {
      unadopted.push({
        tag: record.tag,
        model: name.model,
        event: name.event,
        commit: record.commit,
      });
      warnings.push(unadoptedWarning(record.tag));
      continue;
    }
    if (record.commit === '') {
      warnings.push(`Tag '${record.tag}' does not point at a commit; it is ignored.`);
      continue;
    }
    const message = parseTagMessage(record.message);
    model.events.push({
      tag: record.tag,
      event: name.event,
      model: name.model,
      version: name.version ?? null,
      stage: name.stage ?? null,
      counter: name.counter ?? null,
      commit: record.commit,
      author: record.taggerName,
      authorEmail: record.taggerEmail,
      date: record.date,
      summary: message.summary,
      metadata: message.metadata,
    });
  }

  const states = [...models.values()]
    .map((m) => buildModel(m, sort, warnings))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  unadopted.sort((a, b) => (a.tag < b.tag ? -1 : 1));
  return { models: states, unadopted, warnings, tagNames };
}

interface VersionAcc {
  version: string;
  commit: string;
  registrations: RegistryEvent[];
  deregistrations: RegistryEvent[];
  /** Register/deregister events, in order; the last decides whether the version is active. */
  direct: RegistryEvent[];
}

function buildModel(m: Collected, sort: StageSort, warnings: string[]): ModelState {
  const events = [...m.events].sort(compareEvents);
  const versions = new Map<string, VersionAcc>();

  for (const e of events) {
    if (e.event !== 'register' && e.event !== 'deregister') continue;
    const version = e.version ?? '';
    let acc = versions.get(version);
    if (!acc) {
      if (e.event === 'deregister') {
        warnings.push(`Tag '${e.tag}' deregisters a version that was never registered.`);
        continue;
      }
      acc = { version, commit: e.commit, registrations: [], deregistrations: [], direct: [] };
      versions.set(version, acc);
    }
    (e.event === 'register' ? acc.registrations : acc.deregistrations).push(e);
    acc.direct.push(e);
  }

  const isActive = (acc: VersionAcc): boolean => acc.direct.at(-1)?.event === 'register';

  // Stage events name a commit; find which version that commit is.
  const stageEvents = events.filter((e) => e.event === 'assign' || e.event === 'unassign');
  for (const e of stageEvents) e.version = resolveVersion(e, versions);

  // (version-or-commit, stage) pairs: active when their last event is an assignment.
  const pairs = new Map<string, RegistryEvent[]>();
  for (const e of stageEvents) {
    const key = `${e.stage ?? ''}\u0000${e.version ?? `commit:${e.commit}`}`;
    const list = pairs.get(key) ?? [];
    list.push(e);
    pairs.set(key, list);
  }

  const stageNames = [...new Set(stageEvents.map((e) => e.stage ?? ''))].sort();
  const stages: StageState[] = stageNames.map((stage) => {
    const holders: StageHolder[] = [];
    for (const list of pairs.values()) {
      const last = list.at(-1);
      if (!last || last.stage !== stage || last.event !== 'assign') continue;
      if (last.version !== null) {
        const acc = versions.get(last.version);
        if (acc && !isActive(acc)) continue;
      }
      holders.push({ version: last.version, commit: last.commit, assignment: last });
    }
    return {
      stage,
      current: pickHolder(holders, sort),
      history: stageEvents.filter((e) => e.stage === stage),
    };
  });

  const modelVersions: ModelVersion[] = [...versions.values()]
    .map((acc) => {
      const active = isActive(acc);
      const registered = acc.registrations[0] as RegistryEvent;
      return {
        version: acc.version,
        commit: acc.commit,
        registered,
        deregistered: active ? null : (acc.deregistrations.at(-1) ?? null),
        active,
        stages: stages.filter((s) => s.current?.version === acc.version).map((s) => s.stage),
      };
    })
    .sort((a, b) => compareVersions(b.version, a.version));

  return {
    name: m.name,
    versions: modelVersions,
    latest: modelVersions.find((v) => v.active) ?? null,
    stages,
    deprecated: events.at(-1)?.event === 'deprecate',
    events,
    highestCounter: m.highestCounter,
  };
}

function resolveVersion(e: RegistryEvent, versions: Map<string, VersionAcc>): string | null {
  const atCommit = [...versions.values()].filter((v) => v.commit === e.commit);
  // ghml writes the version into the message; trust it only when it matches the commit.
  const named = e.metadata?.version;
  if (named !== undefined && atCommit.some((v) => v.version === named)) return named;
  if (atCommit.length === 0) return null;
  if (atCommit.length === 1) return atCommit[0]?.version ?? null;
  // Several versions on one commit (one re-registered after a deregistration): take the one
  // registered most recently before this event.
  const before = atCommit
    .map((v) => ({ v, first: v.registrations[0] }))
    .filter((x) => x.first !== undefined && compareEvents(x.first, e) <= 0)
    .sort((x, y) => compareEvents(x.first as RegistryEvent, y.first as RegistryEvent));
  const pick = before.at(-1)?.v ?? atCommit[atCommit.length - 1];
  return pick?.version ?? null;
}

function pickHolder(holders: StageHolder[], sort: StageSort): StageHolder | null {
  if (holders.length === 0) return null;
  const sorted = [...holders].sort((a, b) => {
    if (sort === 'semver') {
      // Registered versions rank above bare commits, as in GTO.
      if (a.version !== null && b.version !== null) {
        const c = compareVersions(a.version, b.version);
        if (c !== 0) return c;
      } else if (a.version !== b.version) {
        return a.version === null ? -1 : 1;
      }
    }
    return compareEvents(a.assignment, b.assignment);
  });
  return sorted.at(-1) ?? null;
}
