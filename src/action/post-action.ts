/**
 * The post step (`runs.post`, `post-if: always()`). When the job is cancelled, the runner kills
 * the main step mid-training, so ghml never records the run; and if ghml itself crashed after
 * training, the run is left open too. Either way the open run's folder
 * (`<git dir>/ghml/open/<run-id>/`) still holds what it logged: this step records it as KILLED
 * (cancelled) or FAILED (crashed) and pushes it. It never fails the job.
 */
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeTime } from 'ulid';
import { createGit } from '../git/git.js';
import { isRunId } from '../tracking/store/run-path.js';
import type { RunStatus } from '../tracking/run-record.js';
import { openRunFolder, recordAbandonedRun } from '../tracking/open-run.js';
import type { ActionIo } from './action-io.js';
import type { PostState } from './inputs.js';

// ULIDs carry milliseconds; allow for a clock that stepped back a little between the two.
const CLOCK_SLACK_MS = 5_000;

/** Runs ids recorded by the post step. */
export async function runPostStep(state: PostState, io: ActionIo): Promise<string[]> {
  if (state.command !== 'run' || (state.phase !== 'training' && state.phase !== 'crashed'))
    return [];
  const status: RunStatus = state.phase === 'crashed' ? 'FAILED' : 'KILLED';
  const git = await createGit(state.workingDirectory);
  const openDir = dirname(openRunFolder(await git.gitDir(), 'x'));
  let names: string[];
  try {
    names = await readdir(openDir);
  } catch {
    names = [];
  }
  const ours = names
    .filter((name) => isRunId(name) && decodeTime(name) >= state.since - CLOCK_SLACK_MS)
    .sort();
  if (ours.length === 0) {
    io.info('ghml: the training step did not finish, and it left no open run to record');
    return [];
  }
  const recorded: string[] = [];
  for (const runId of ours) {
    const result = await recordAbandonedRun(git, runId, {
      push: state.push,
      status,
      log: (message) => io.info(message),
    });
    if (result === undefined) continue;
    recorded.push(runId);
    const why =
      status === 'KILLED' ? 'the job was cancelled during training' : 'ghml failed after training';
    io.warning(`Recorded run ${runId} as ${status}: ${why}.`, `ghml: run ${status}`);
    if (result.pushProblem !== null) io.warning(result.pushProblem, 'ghml: run not pushed');
  }
  return recorded;
}
