/**
 * `ghml server`: a long-lived MLflow endpoint over the repository, for notebooks, scripts run
 * without `ghml run`, and MLflow's R, Java and JavaScript clients. Each run becomes a ghml run
 * on the commit HEAD points at when it is created, with its dirty state; it is committed when
 * it ends, and pushes go out in batches (push-scheduler.ts). Reads serve the whole tracking
 * branch. Listening anywhere but loopback requires a bearer token.
 */
import type { GhmlConfig } from '../config/config-types.js';
import { UsageError } from '../errors/ghml-error.js';
import type { Git } from '../git/git.js';
import { readActionsEnvironment } from '../tracking/ingest/github-context.js';
import { recordStaleOpenRuns } from '../tracking/open-run.js';
import type { StoreAccess } from '../tracking/run-recorder.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { setUpEndpoint } from './endpoint-setup.js';
import { PushScheduler } from './runs/push-scheduler.js';

export interface TrackingServerOptions {
  git: Git;
  config: GhmlConfig;
  cwd: string;
  env: NodeJS.ProcessEnv;
  host: string;
  port: number;
  /** Required unless `host` is a loopback address. */
  token?: string;
  /** Push recorded runs when the repository has the tracking remote (default true). */
  push?: boolean;
  pushQuietMs?: number;
  maxUploadBytes?: number;
  /**
   * How runs reach the artifact store: the environment its setting and credentials come from,
   * and the workflow's job token. Default: `env` (in a workflow step, its GITHUB_TOKEN is the
   * job token: see src/artifacts/store-settings.ts).
   */
  store?: StoreAccess;
  log: (message: string) => void;
}

export interface TrackingServer {
  url: string;
  /** Records runs still open as KILLED, pushes what is left, stops listening. */
  close(): Promise<void>;
  /** Runs recorded as KILLED at start-up, left open by a server that died. */
  recovered: string[];
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export async function startTrackingServer(options: TrackingServerOptions): Promise<TrackingServer> {
  const { git, config, log } = options;
  if (!isLoopback(options.host) && (options.token === undefined || options.token === '')) {
    throw new UsageError(
      `Listening on ${options.host} makes the endpoint reachable by others, so it needs a token.`,
      {
        hint: 'pass --token <secret> or set GHML_SERVER_TOKEN (clients set MLFLOW_TRACKING_TOKEN to it); `ghml server` without either generates one and writes it to --token-file',
      },
    );
  }
  // Runs a killed server (or any dead ghml process) left open are recorded KILLED first.
  const recovered = (await recordStaleOpenRuns(git, { push: false, log })).map((r) => r.record.id);
  const store = openTrackingStore(git, config.tracking);
  const wantPush = options.push !== false;
  const scheduler = new PushScheduler({
    push: async () => {
      if (!(await git.hasRemote(config.tracking.remote))) return;
      await store.push();
    },
    log,
    ...(options.pushQuietMs === undefined ? {} : { quietMs: options.pushQuietMs }),
  });
  const actions = readActionsEnvironment(options.env);
  const { services, listening } = await setUpEndpoint({
    git,
    config,
    cwd: options.cwd,
    host: options.host,
    port: options.port,
    ...(options.token === undefined || options.token === '' ? {} : { token: options.token }),
    store: options.store ?? { env: options.env },
    origin: async () => ({
      source: {
        commit: await git.headCommit(),
        branch: await git.currentBranch(),
        dirty: await git.isDirty(),
      },
      github: actions?.context ?? null,
    }),
    log,
    onRecorded: () => {
      if (wantPush) scheduler.recorded();
    },
    onChanged: () => {
      if (wantPush) scheduler.recorded();
    },
    ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
  });
  if (wantPush && recovered.length > 0) scheduler.recorded();
  let closing: Promise<void> | undefined;
  return {
    url: listening.url,
    recovered,
    close() {
      closing ??= (async () => {
        listening.refuse('This ghml server is shutting down.');
        await services.runs.close();
        await listening.close();
        if (wantPush) await scheduler.flush();
        scheduler.stop();
      })();
      return closing;
    },
  };
}
