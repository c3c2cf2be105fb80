/**
 * What the action writes back to the runner: log lines, annotations, outputs, post-step state,
 * masks and the job summary. Commands take this interface, so they are testable without a
 * runner; `coreActionIo` is the real one over @actions/core (GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_STEP_SUMMARY and `::` workflow commands).
 */
import * as core from '@actions/core';
import { tryActionsSummarySink, type SummarySink } from '../github/job-summary.js';
import { registerSecret } from '../github/token.js';

export interface ActionIo {
  info(message: string): void;
  /** A warning annotation with a title. */
  warning(message: string, title: string): void;
  /** An error annotation with a title (it does not fail the step by itself). */
  error(message: string, title: string): void;
  setOutput(name: string, value: string): void;
  /** State for the post step, which sees it as `STATE_<name>`. */
  saveState(name: string, value: string): void;
  /** Masks a secret in the log and in ghml's own error messages. */
  setSecret(value: string): void;
  /** The job summary; undefined outside Actions. */
  summary: SummarySink | undefined;
}

/** The runner's I/O through @actions/core. */
export function coreActionIo(env: NodeJS.ProcessEnv): ActionIo {
  return {
    info: (message) => core.info(message),
    warning: (message, title) => core.warning(message, { title }),
    error: (message, title) => core.error(message, { title }),
    setOutput: (name, value) => core.setOutput(name, value),
    saveState: (name, value) => core.saveState(name, value),
    setSecret(value) {
      if (value === '') return;
      core.setSecret(value);
      registerSecret(value);
    },
    summary: tryActionsSummarySink(env),
  };
}
