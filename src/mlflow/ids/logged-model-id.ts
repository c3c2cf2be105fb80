/**
 * Ids of MLflow 3 logged models. A logged model is a folder of the run that produced it, so
 * its id names that run: `m-<run id, lower case>-<n>`, n counting the run's models from 1.
 * Reading a model therefore needs no index: the id says which run to open.
 */

const MODEL_ID = /^m-([0-9a-z]{26})-([1-9][0-9]{0,5})$/;

/** The id of a run's n-th logged model. */
export function loggedModelId(runId: string, n: number): string {
  return `m-${runId.toLowerCase()}-${n}`;
}

/** The run id (upper case, as ghml writes ULIDs) and counter of a model id; undefined if not ours. */
export function parseLoggedModelId(id: string): { runId: string; n: number } | undefined {
  const match = MODEL_ID.exec(id);
  if (!match) return undefined;
  return { runId: (match[1] as string).toUpperCase(), n: Number(match[2]) };
}
