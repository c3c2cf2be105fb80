/**
 * Which runs' artifacts wait in this clone's local cache for the artifact store (the pending
 * queue, `<git dir>/ghml/pending/<run-id>.json`, that `ghml push` drains), for `ghml runs show`
 * and `ghml runs list`. Pending is what this clone knows: another clone sees only the run's store
 * reference in run.json. A damaged record is left to `ghml push`, which reports it; here its run
 * is simply not shown as pending.
 */
import { LocalContentStore, localCacheRoot } from '../../../artifacts/local-content-store.js';
import { PendingQueue, pendingDir } from '../../../artifacts/pending-queue.js';
import type { RunJsonView } from '../../../tracking/run-json-view.js';

/** One run's files waiting for the store. */
export interface PendingRun {
  /** The store they are meant for, e.g. `oci://ghcr.io/acme/ml`. */
  store: string;
  /** Their paths in the run's artifacts. */
  paths: ReadonlySet<string>;
  /** Their total size in bytes. */
  bytes: number;
}

/** The runs with files waiting for the store, by run id. */
export async function readPendingRuns(gitDir: string): Promise<Map<string, PendingRun>> {
  const queue = new PendingQueue(pendingDir(gitDir), new LocalContentStore(localCacheRoot(gitDir)));
  const { uploads } = await queue.list();
  const out = new Map<string, PendingRun>();
  for (const upload of uploads) {
    out.set(upload.runId, {
      store: upload.store,
      paths: new Set(upload.files.map((f) => f.path)),
      bytes: upload.files.reduce((sum, f) => sum + f.size, 0),
    });
  }
  return out;
}

/** A run's `--json` view with `pending` (the run) and `pending: true` on each waiting file. */
export type PendingJsonView<T extends RunJsonView> = Omit<T, 'artifacts'> & {
  pending: boolean;
  artifacts: Array<RunJsonView['artifacts'][number] & { pending?: true }>;
};

export function withPending<T extends RunJsonView>(
  view: T,
  pending: PendingRun | undefined,
): PendingJsonView<T> {
  return {
    ...view,
    pending: pending !== undefined,
    artifacts: view.artifacts.map((a) =>
      pending?.paths.has(a.path) === true ? { ...a, pending: true as const } : a,
    ),
  };
}
