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
import { compareAction } from './compare-action.js';
import { readActionSettings, readPostState, STATE } from './inputs.js';
import { runPostStep } from './post-action.js';
import { registryAction } from './registry-actions.js';
import { reproAction } from './repro-action.js';
import { runTrainingAction } from './run-action.js';

async function mainStep(io: ActionIo): Promise<void> {
  io.saveState(STATE.isPost, 'true');
  const settings = readActionSettings(process.env, process.cwd());
  if (settings.token !== undefined) io.setSecret(settings.token);
  switch (settings.command) {
    case 'run':
      await runTrainingAction(settings, io);
      return;
    case 'compare':
      await compareAction(settings, io);
      return;
    case 'repro':
      await reproAction(settings, io);
      return;
    default:
      await registryAction(settings, io);
  }
}

/** Runs the main or the post step; never throws. */
export async function run(): Promise<void> {
  const io = coreActionIo(process.env);
  const state = readPostState(process.env);
  if (state.isPost) {
    try {
      await runPostStep(state, io);
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
