/**
 * Entry point of the GitHub Action (`dist/action.js`), for both the main and the post step.
 * The only place that calls core.setFailed. The main step saves `isPost`, so the post step,
 * started from the same file, sees `STATE_isPost` and knows which one it is.
 *
 * `run()` is exported for runners that import the entry and call it themselves
 * (@github/local-action); started as a script, the module runs it at once.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { describeError } from '../errors/ghml-error.js';
import { coreActionIo, type ActionIo } from './action-io.js';
import { readActionSettings, readPostState, STATE } from './inputs.js';

async function mainStep(io: ActionIo): Promise<void> {
  io.saveState(STATE.isPost, 'true');
  const settings = readActionSettings(process.env, process.cwd());
  if (settings.token !== undefined) io.setSecret(settings.token);
  // Each command's code is loaded only when it runs (a chunk of its own in dist/).
  switch (settings.command) {
    case 'run':
      await (await import('./run-action.js')).runTrainingAction(settings, io);
      return;
    case 'compare':
      await (await import('./compare-action.js')).compareAction(settings, io);
      return;
    case 'repro':
      await (await import('./repro-action.js')).reproAction(settings, io);
      return;
    default:
      await (await import('./registry-actions.js')).registryAction(settings, io);
  }
}

/** Runs the main or the post step; never throws. */
export async function run(): Promise<void> {
  const io = coreActionIo(process.env);
  const state = readPostState(process.env);
  if (state.isPost) {
    try {
      await (await import('./post-action.js')).runPostStep(state, io);
    } catch (error) {
      // A post step that fails cannot save the run anyway; it must not mask the job's result.
      io.warning(describeError(error), 'ghml: post step');
    }
    return;
  }
  try {
    await mainStep(io);
  } catch (error) {
    core.setFailed(describeError(error));
  }
}

function startedAsScript(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (startedAsScript()) await run();
