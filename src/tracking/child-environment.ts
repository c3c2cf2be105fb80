/** The environment the training command runs with: the caller's plus the GHML_* variables. */
import { delimiter, join } from 'node:path';
import { pythonHelperDir } from '../package-paths.js';
import type { OpenRunSession } from './open-run.js';

export function childEnvironment(
  env: NodeJS.ProcessEnv,
  session: OpenRunSession,
  folder: string,
): NodeJS.ProcessEnv {
  const helper = pythonHelperDir();
  return {
    ...env,
    GHML_RUN_ID: session.id,
    GHML_EXPERIMENT: session.experiment,
    GHML_EVENTS: join(folder, 'events.jsonl'),
    GHML_ARTIFACTS_DIR: join(folder, 'artifacts'),
    PYTHONPATH: env.PYTHONPATH ? `${helper}${delimiter}${env.PYTHONPATH}` : helper,
  };
}
