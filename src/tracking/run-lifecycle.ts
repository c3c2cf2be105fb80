/**
 * Changes to a recorded run after the fact, as MLflow allows them, without rewriting history:
 * each is an event on the tracking branch (`ghml runs delete|restore|tag|rename`), and a
 * reader applies a run's events in id order to get its current name, tags and lifecycle
 * stage. Events come from the branch, so they are checked field by field; one that is not
 * well-formed is ignored rather than trusted.
 */
import { setOwn, type RunEvent, type RunRecord } from './run-record.js';

export const RUN_DELETED = 'run.deleted';
export const RUN_RESTORED = 'run.restored';
export const RUN_TAG = 'run.tag';
export const RUN_RENAMED = 'run.renamed';

/** A run event with its id (a ULID: events apply in id order). */
export interface IdentifiedEvent {
  id: string;
  event: RunEvent;
}

export function deletedEvent(at: number): RunEvent {
  return { kind: RUN_DELETED, at };
}

export function restoredEvent(at: number): RunEvent {
  return { kind: RUN_RESTORED, at };
}

/** Sets tag `key` to `value`, or removes it when `value` is null. */
export function tagEvent(at: number, key: string, value: string | null): RunEvent {
  return { kind: RUN_TAG, at, key, value };
}

export function renamedEvent(at: number, name: string): RunEvent {
  return { kind: RUN_RENAMED, at, name };
}

/** True for the kinds this module applies (the others are registry and deploy history). */
export function isLifecycleEvent(event: RunEvent): boolean {
  return (
    event.kind === RUN_DELETED ||
    event.kind === RUN_RESTORED ||
    event.kind === RUN_TAG ||
    event.kind === RUN_RENAMED
  );
}

/** The run as its events leave it: a copy of `record` with name and tags updated. */
export interface EffectiveRun {
  record: RunRecord;
  deleted: boolean;
}

/** Applies the lifecycle events among `events` (any order) to `record`. */
export function applyRunEvents(
  record: RunRecord,
  events: readonly IdentifiedEvent[],
): EffectiveRun {
  const lifecycle = events
    .filter((e) => isLifecycleEvent(e.event))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (lifecycle.length === 0) return { record, deleted: false };
  let deleted = false;
  let name = record.name;
  let tags: Record<string, string> | undefined;
  for (const { event } of lifecycle) {
    const field = (key: string): unknown =>
      Object.prototype.hasOwnProperty.call(event, key) ? event[key] : undefined;
    if (event.kind === RUN_DELETED) deleted = true;
    else if (event.kind === RUN_RESTORED) deleted = false;
    else if (event.kind === RUN_RENAMED) {
      const value = field('name');
      if (typeof value === 'string') name = value;
    } else if (event.kind === RUN_TAG) {
      const key = field('key');
      const value = field('value');
      if (typeof key !== 'string' || (typeof value !== 'string' && value !== null)) continue;
      tags ??= { ...record.tags };
      if (value === null) delete tags[key];
      else setOwn(tags, key, value);
    }
  }
  return { record: { ...record, name, tags: tags ?? record.tags }, deleted };
}
