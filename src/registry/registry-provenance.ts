/**
 * Provenance: every registry event (register, deregister, promote, demote, deprecate, adopt)
 * is also written as an event of the run the version was built from, on the tracking branch,
 * so `ghml runs show <run>` can list the versions built from it.
 */
import type { RunEvent } from '../tracking/run-record.js';
import type { StoredRunEvent, TrackingStore } from '../tracking/store/tracking-store.js';
import type { RegistryState } from './registry-state.js';

/** The registry actions recorded on runs. */
export type RegistryAction =
  'register' | 'deregister' | 'promote' | 'demote' | 'deprecate' | 'adopt';

/** What a registry event says (the event file adds `kind: 'registry'`). */
export interface RegistryEventFields {
  /** Milliseconds since the epoch. */
  at: number;
  action: RegistryAction;
  tag: string;
  model: string;
  version: string | null;
  stage?: string;
}

/** The event file written to the run. */
export interface RegistryRunEvent extends RunEvent, RegistryEventFields {
  kind: 'registry';
}

/** A version built from a run, as its registry events describe it. */
export interface RunVersion {
  model: string;
  version: string;
  /** The registration (or adoption) tag. */
  tag: string;
  /** When it was registered, ms since the epoch. */
  registeredAt: number;
  deregistered: boolean;
  /**
   * Stages it was promoted to and not demoted from, per the run's events, sorted. Another
   * version taking over a stage is not an event of this run: `ghml model show` is authoritative.
   */
  promotedTo: string[];
}

/** What appending provenance did. */
export interface ProvenanceResult {
  recorded: boolean;
  pushed: boolean;
  /** Why nothing was recorded or pushed (for a warning); undefined when all went well. */
  problem?: string;
}

/** The run a version of a model was registered from (from its tag message), if known. */
export function runIdOfVersion(
  state: RegistryState,
  model: string,
  version: string | null,
): string | undefined {
  if (version === null) return undefined;
  const found = state.models
    .find((m) => m.name === model)
    ?.versions.find((v) => v.version === version);
  return found?.registered.metadata?.runId;
}

/**
 * Appends the event to the run and pushes the tracking branch when it has a remote. Never
 * throws: the tag is already written, so a failure here becomes a warning.
 */
export async function recordRegistryEvent(
  store: Pick<TrackingStore, 'addRunEvent' | 'push'>,
  runId: string | undefined,
  event: RegistryEventFields,
  options: { push: boolean },
): Promise<ProvenanceResult> {
  if (runId === undefined) {
    return { recorded: false, pushed: false, problem: 'the version names no run' };
  }
  const full: RegistryRunEvent = { kind: 'registry', ...event };
  if (full.stage === undefined) delete full.stage;
  try {
    await store.addRunEvent(runId, full);
  } catch (error) {
    return { recorded: false, pushed: false, problem: messageOf(error) };
  }
  if (!options.push) return { recorded: true, pushed: false };
  try {
    await store.push();
  } catch (error) {
    return { recorded: true, pushed: false, problem: messageOf(error) };
  }
  return { recorded: true, pushed: true };
}

/** Reads registry events back: undefined for anything that is not one. */
export function parseRegistryEvent(event: RunEvent): RegistryRunEvent | undefined {
  if (event.kind !== 'registry') return undefined;
  const { at, action, tag, model, version, stage } = event;
  const actions: readonly string[] = [
    'register',
    'deregister',
    'promote',
    'demote',
    'deprecate',
    'adopt',
  ];
  if (typeof at !== 'number' || typeof action !== 'string' || !actions.includes(action)) {
    return undefined;
  }
  if (typeof tag !== 'string' || typeof model !== 'string') return undefined;
  if (version !== null && typeof version !== 'string') return undefined;
  const parsed: RegistryRunEvent = {
    kind: 'registry',
    at,
    action: action as RegistryAction,
    tag,
    model,
    version,
  };
  if (typeof stage === 'string') parsed.stage = stage;
  return parsed;
}

/**
 * The versions built from a run, from its events (oldest first, as `readRunEvents` returns
 * them): registrations, deregistrations, and the stages promote/demote left them in.
 */
export function versionsFromRunEvents(
  events: ReadonlyArray<StoredRunEvent | RunEvent>,
): RunVersion[] {
  const byKey = new Map<string, RunVersion & { stageSet: Set<string> }>();
  for (const item of events) {
    const event = parseRegistryEvent(isStored(item) ? item.event : item);
    if (!event || event.version === null) continue;
    const key = `${event.model}\u0000${event.version}`;
    let entry = byKey.get(key);
    if (event.action === 'register' || event.action === 'adopt') {
      if (!entry) {
        entry = {
          model: event.model,
          version: event.version,
          tag: event.tag,
          registeredAt: event.at,
          deregistered: false,
          promotedTo: [],
          stageSet: new Set(),
        };
        byKey.set(key, entry);
      }
      entry.deregistered = false;
      continue;
    }
    if (!entry) continue;
    if (event.action === 'deregister') entry.deregistered = true;
    if (event.action === 'promote' && event.stage !== undefined) entry.stageSet.add(event.stage);
    if (event.action === 'demote' && event.stage !== undefined) entry.stageSet.delete(event.stage);
  }
  return [...byKey.values()].map(({ stageSet, ...version }) => ({
    ...version,
    promotedTo: version.deregistered ? [] : [...stageSet].sort(),
  }));
}

function isStored(item: StoredRunEvent | RunEvent): item is StoredRunEvent {
  return typeof item.event === 'object' && item.event !== null && 'id' in item;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
