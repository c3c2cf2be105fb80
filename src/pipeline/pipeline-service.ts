/**
 * The pipeline commands as services, shared by the CLI and the action: open the repository
 * and the pipeline, then reproduce, report status, draw the DAG or compile. Front ends only
 * parse arguments and print.
 */
import { relative, sep } from 'node:path';
import { ulid } from 'ulid';
import type { ContentStore } from '../artifacts/content-store.js';
import { OciContentStore } from '../artifacts/oci-content-store.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import { StoreOutputSource } from './run/store-output-source.js';
import { loadConfigFor } from '../config/find-config.js';
import type { GhmlConfig } from '../config/config-types.js';
import { formatArtifactStoreUrl } from '../config/artifact-store-url.js';
import { createGit, type Git } from '../git/git.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { compilePipeline, type CompileTarget } from './compile/compile-pipeline.js';
import { selectStages, type LoadedPipeline } from './definition/load-pipeline.js';
import { openPipeline } from './pipeline-project.js';
import { openWorkspace } from './pipeline-workspace.js';
import { reproduce, type ReproResult } from './run/repro-executor.js';
import { checkStage } from './state/stage-status.js';
import { statusEntries, type StatusEntry } from './state/status-report.js';

export interface PipelineContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log(message: string): void;
}

interface OpenedRepository {
  git: Git;
  top: string;
  gitDir: string;
  pipeline: LoadedPipeline;
  /** ghml.yml, read on first use: a no-op repro never needs it. */
  config(): Promise<GhmlConfig>;
}

async function openRepository(cwd: string): Promise<OpenedRepository> {
  const git = await createGit(cwd);
  const top = await git.topLevel();
  const pipeline = openPipeline(cwd, top);
  let config: Promise<GhmlConfig> | undefined;
  return {
    git,
    top,
    gitDir: await git.gitDir(),
    pipeline,
    config: () => (config ??= loadConfigFor(pipeline.definition.root, top)),
  };
}

/**
 * Where outputs are restored from besides the local cache: the artifact store when ghml.yml
 * (or the Actions default) names one. Opened lazily: a no-op repro never reads ghml.yml.
 */
function remoteStores(repo: OpenedRepository, env: NodeJS.ProcessEnv): ContentStore[] {
  return [
    new StoreOutputSource(async () => {
      const store = openArtifactStore({
        setting: (await repo.config()).artifacts.store,
        env,
        gitDir: repo.gitDir,
      });
      return store === null ? null : new OciContentStore(store.client, store.runsRepository);
    }),
  ];
}

export interface ReproSettings {
  stages: string[];
  jobs: number;
  force: boolean;
  dry: boolean;
  keepGoing: boolean;
  singleItem: boolean;
  push: boolean;
  /** Default: GHML_PIPELINE_RUN_ID, else a new ULID. */
  pipelineRunId?: string | undefined;
}

export async function reproducePipeline(
  settings: ReproSettings,
  context: PipelineContext,
): Promise<ReproResult & { pipelineRunId: string }> {
  const repo = await openRepository(context.cwd);
  const { pipeline } = repo;
  const stages = selectStages(pipeline.graph, settings.stages);
  const workspace = openWorkspace({
    root: pipeline.definition.root,
    gitDir: repo.gitDir,
    remoteStores: remoteStores(repo, context.env),
    async tracking() {
      const config = await repo.config();
      return {
        store: openTrackingStore(repo.git, config.tracking),
        fetch: settings.push && (await repo.git.hasRemote(config.tracking.remote)),
      };
    },
    warn: (message) => context.log(`ghml: warning: ${message}`),
  });
  const pipelineRunId = settings.pipelineRunId ?? context.env.GHML_PIPELINE_RUN_ID ?? ulid();
  const result = await reproduce(
    {
      stages,
      jobs: settings.jobs,
      force: settings.force,
      dry: settings.dry,
      keepGoing: settings.keepGoing,
      singleItem: settings.singleItem,
      push: settings.push,
      pipelineRunId,
      defaultExperiment: async () => (await repo.config()).defaultExperiment,
    },
    { pipeline, workspace, env: context.env, log: context.log },
  );
  return { ...result, pipelineRunId };
}

/** Each selected stage with what changed (empty lists for stages that are up to date). */
export async function pipelineStatus(
  names: string[],
  context: PipelineContext,
): Promise<Array<[string, StatusEntry[]]>> {
  const repo = await openRepository(context.cwd);
  const { graph, definition } = repo.pipeline;
  const selected = names.length > 0 ? selectStages(graph, names) : graph.order.map((s) => s.name);
  const workspace = openWorkspace({
    root: definition.root,
    gitDir: repo.gitDir,
    warn: (message) => context.log(`ghml: warning: ${message}`),
  });
  const out: Array<[string, StatusEntry[]]> = [];
  for (const name of selected) {
    const stage = graph.stage(name);
    if (stage === undefined) continue;
    // As `dvc status` does: a frozen stage's deps are not checked, and the user is told.
    if (stage.frozen)
      context.log(
        `ghml: warning: stage '${name}' is frozen: its dependencies are not checked (remove 'frozen: true' to check them)`,
      );
    const locked = workspace.lock.get(name);
    const check = checkStage(stage, locked, workspace.hasher, workspace.params, (h) =>
      workspace.inLocalCache(h),
    );
    const entries = check.upToDate ? [] : statusEntries(check.changes, locked === undefined);
    out.push([name, entries]);
  }
  workspace.state.save();
  return out;
}

/** The pipeline of `cwd` (dag, compile); works outside a repository too. */
export async function loadPipelineAt(cwd: string): Promise<LoadedPipeline> {
  return (await locatePipeline(cwd)).loaded;
}

async function locatePipeline(
  cwd: string,
): Promise<{ loaded: LoadedPipeline; top: string | undefined }> {
  let top: string | undefined;
  try {
    top = await (await createGit(cwd)).topLevel();
  } catch {
    top = undefined;
  }
  return { loaded: openPipeline(cwd, top), top };
}

export type OutputsVia = 'artifacts' | 'store';

export interface CompileSettings {
  target: CompileTarget;
  image?: string | undefined;
  /**
   * (actions) How outputs reach later jobs. Default: the artifact store when ghml.yml sets
   * `artifacts.store` (and not to `none`), else workflow artifacts.
   */
  outputsVia?: OutputsVia | undefined;
}

export interface CompiledPipeline {
  text: string;
  /** (actions) How outputs reach later jobs, and why that way, for the user. */
  outputs?: { via: OutputsVia; why: string };
}

/**
 * The default way outputs pass between the compiled jobs. Not the store merely because ghml's
 * default store on Actions is GitHub's container registry: that needs `packages: write` for
 * every job and a token that may write packages, which a fork's pull request never has, while
 * workflow artifacts need nothing. A store the team configured is what it chose to share.
 */
async function defaultOutputsVia(
  loaded: LoadedPipeline,
  top: string | undefined,
): Promise<{ via: OutputsVia; why: string }> {
  const config = await loadConfigFor(loaded.definition.root, top ?? loaded.definition.root);
  const store = config.artifacts.store;
  if (store !== undefined && store.kind !== 'none') {
    return {
      via: 'store',
      why: `ghml.yml sets artifacts.store ${formatArtifactStoreUrl(store)}; --outputs-via artifacts uses workflow artifacts instead`,
    };
  }
  return {
    via: 'artifacts',
    why: `ghml.yml sets ${store === undefined ? 'no artifacts.store' : 'artifacts.store: none'}; --outputs-via store uses the artifact store instead`,
  };
}

/** Compiles the pipeline of `cwd`; paths in a workflow are relative to the repository root. */
export async function compilePipelineAt(
  cwd: string,
  settings: CompileSettings,
): Promise<CompiledPipeline> {
  const { loaded, top } = await locatePipeline(cwd);
  const projectDir =
    top === undefined ? '' : relative(top, loaded.definition.root).split(sep).join('/');
  if (settings.target === 'kfp')
    return { text: compilePipeline(loaded, 'kfp', { image: settings.image }) };
  const outputs =
    settings.outputsVia === undefined
      ? await defaultOutputsVia(loaded, top)
      : { via: settings.outputsVia, why: `--outputs-via ${settings.outputsVia}` };
  return {
    text: compilePipeline(loaded, 'actions', { projectDir, outputsVia: outputs.via }),
    outputs,
  };
}
