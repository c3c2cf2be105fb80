/**
 * Changes to a recorded run after the fact (`ghml runs delete|restore|tag|rename`): each is one
 * event on the tracking branch, never a rewrite of history (run-lifecycle.ts applies them on
 * read), then pushed like a run. A change that would change nothing writes nothing.
 */
import { validateKey, validateTagValue } from './run-limits.js';
import { deletedEvent, renamedEvent, restoredEvent, tagEvent } from './run-lifecycle.js';
import type { RunEvent } from './run-record.js';
import type { OpenRepository } from './repository-context.js';
import { pushAfterWrite, type PushOutcome } from './push-after-write.js';
import type { StoredRun } from './store/tracking-store.js';

/** What a change asks for. */
export type RunChange =
  | { kind: 'delete' }
  | { kind: 'restore' }
  | { kind: 'tag'; key: string; value: string | null }
  | { kind: 'rename'; name: string };

export interface RunChangeResult {
  /** The run as it is after the change. */
  run: StoredRun;
  /** False when the run already was that way (nothing written). */
  changed: boolean;
  push: PushOutcome | null;
}

/** Run names follow tag values' limit (MLflow keeps the name as the mlflow.runName tag). */
function eventFor(run: StoredRun, change: RunChange, at: number): RunEvent | undefined {
  switch (change.kind) {
    case 'delete':
      return run.deleted ? undefined : deletedEvent(at);
    case 'restore':
      return run.deleted ? restoredEvent(at) : undefined;
    case 'tag': {
      validateKey(change.key, 'tag key');
      const has = Object.prototype.hasOwnProperty.call(run.record.tags, change.key);
      if (change.value === null) return has ? tagEvent(at, change.key, null) : undefined;
      validateTagValue(change.key, change.value);
      return has && run.record.tags[change.key] === change.value
        ? undefined
        : tagEvent(at, change.key, change.value);
    }
    case 'rename':
      validateTagValue('mlflow.runName', change.name);
      return run.record.name === change.name ? undefined : renamedEvent(at, change.name);
  }
}

/** Applies `change` to the run `query` names (id or unique prefix) and pushes it. */
export async function changeRun(
  repo: OpenRepository,
  query: string,
  change: RunChange,
  options: { push: boolean; now?: () => number },
): Promise<RunChangeResult> {
  const run = await repo.store.findRun(query);
  const event = eventFor(run, change, (options.now ?? Date.now)());
  if (event === undefined) return { run, changed: false, push: null };
  await repo.store.addRunEvent(run, event);
  const after = await repo.store.findRun(run.id);
  const push = await pushAfterWrite(repo.git, repo.store, repo.config, options.push);
  return { run: after, changed: true, push };
}
