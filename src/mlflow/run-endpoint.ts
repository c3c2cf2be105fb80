/**
 * The MLflow endpoint of one `ghml run`: listens on 127.0.0.1 for the training command's
 * lifetime and gives it the MLFLOW_* environment. MLFLOW_RUN_ID is the ghml run itself, so
 * `mlflow.start_run()` resumes it and what it logs lands in that run's events file and
 * artifacts folder; any other run the command starts (nested runs, an HPO loop) becomes a ghml
 * run on the same commit, recorded when it ends. `close` records the runs never ended as KILLED
 * and stops the endpoint; later requests are refused. The token is random per run and is
 * never logged.
 */
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import type { RunGithubContext, RunSource } from '../tracking/run-record.js';
import type { StoreAccess } from '../tracking/run-recorder.js';
import { generateToken } from './http/bearer-token.js';
import { setUpEndpoint } from './endpoint-setup.js';
import type { MainRunSpec } from './runs/run-bridge.js';

export interface RunEndpointOptions {
  git: Git;
  config: GhmlConfig;
  /** The run `ghml run` is recording. */
  mainRun: MainRunSpec & {
    /** Its source; further runs are recorded on the same commit. */
    source: RunSource;
    github?: RunGithubContext | null;
  };
  /**
   * How the runs the command starts reach the artifact store: what `ghml run` records its own
   * run with (the environment and the job token). Default: this process's environment.
   */
  store?: StoreAccess;
  /** Where relative paths of new runs are resolved (the command's cwd). */
  cwd?: string;
  log: (message: string) => void;
  /** Port to listen on; default 0 (any free port). */
  port?: number;
}

export interface RunEndpoint {
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  /** The endpoint's URL (also MLFLOW_TRACKING_URI). */
  url: string;
  /**
   * Records every run the command left open as KILLED (not the main run, which `ghml run`
   * records), then stops listening. Returns the ids recorded KILLED.
   */
  close(): Promise<string[]>;
}

export async function startRunEndpoint(options: RunEndpointOptions): Promise<RunEndpoint> {
  const { git, config, mainRun, log } = options;
  const token = generateToken();
  const origin = { source: mainRun.source, github: mainRun.github ?? null };
  const cwd = options.cwd ?? (await git.topLevel());
  const { services, listening } = await setUpEndpoint({
    git,
    config,
    cwd,
    host: '127.0.0.1',
    port: options.port ?? 0,
    token,
    origin: () => Promise.resolve(origin),
    store: options.store ?? { env: process.env },
    log,
  });
  services.runs.attachMainRun(mainRun);
  let closing: Promise<string[]> | undefined;
  return {
    url: listening.url,
    env: {
      MLFLOW_TRACKING_URI: listening.url,
      MLFLOW_TRACKING_TOKEN: token,
      MLFLOW_RUN_ID: mainRun.id,
      MLFLOW_EXPERIMENT_NAME: mainRun.experiment,
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: '1',
    },
    close() {
      closing ??= (async () => {
        listening.refuse('The ghml run endpoint has closed: its training command exited.');
        const killed = await services.runs.close();
        await listening.close();
        return killed;
      })();
      return closing;
    },
  };
}
