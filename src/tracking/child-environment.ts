/**
 * The environment the training command runs with: the caller's, minus credentials, plus the
 * GHML_* variables. Invariant: no token ghml or the runner handed to ghml reaches the training
 * code (on a fork PR that code is the PR's), unless the user names it in GHML_PASS_ENV.
 *
 * Removed (docs/event-format.md, "Environment", states the same rule), in any letter case:
 * - `INPUT_*`: the action's inputs, `INPUT_TOKEN` among them. Never passed on.
 * - `ACTIONS_*`: the runner's credentials and service URLs for actions
 *   (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN, ...); a `run:` step never sees them.
 * - `TOKEN`, `PASSWORD`, `SECRET` and every name ending in `_TOKEN`, `_PASSWORD`, `_SECRET`
 *   or `_SECRET_KEY`: GITHUB_TOKEN, GH_TOKEN, GHML_REGISTRY_PASSWORD, NPM_TOKEN, ...
 * A variable of the last two groups that is named in `GHML_PASS_ENV` (names separated by
 * commas or spaces) is passed on, for training code that needs e.g. HF_TOKEN.
 */
import { delimiter, join } from 'node:path';
import { pythonHelperDir } from '../package-paths.js';
import type { OpenRunSession } from './open-run.js';

/** Variables the training command may be given on request: `GHML_PASS_ENV=HF_TOKEN,...`. */
export const PASS_ENV_VARIABLE = 'GHML_PASS_ENV';

const NEVER_PASSED = /^INPUT_/i;
const CREDENTIAL = /^ACTIONS_|(^|_)(TOKEN|PASSWORD|SECRET|SECRET_KEY)$/i;

/** True when `name` holds a credential the training command does not get by default. */
export function isCredentialVariable(name: string): boolean {
  return NEVER_PASSED.test(name) || CREDENTIAL.test(name);
}

/** The caller's environment without the credentials the rule above removes. */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const passed = new Set(
    (env[PASS_ENV_VARIABLE] ?? '').split(/[\s,]+/).filter((name) => name !== ''),
  );
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (NEVER_PASSED.test(name)) continue;
    if (CREDENTIAL.test(name) && !passed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export function childEnvironment(
  env: NodeJS.ProcessEnv,
  session: OpenRunSession,
  folder: string,
): NodeJS.ProcessEnv {
  const helper = pythonHelperDir();
  return {
    ...withoutCredentials(env),
    GHML_RUN_ID: session.id,
    GHML_EXPERIMENT: session.experiment,
    GHML_EVENTS: join(folder, 'events.jsonl'),
    GHML_ARTIFACTS_DIR: join(folder, 'artifacts'),
    PYTHONPATH: env.PYTHONPATH ? `${helper}${delimiter}${env.PYTHONPATH}` : helper,
  };
}
