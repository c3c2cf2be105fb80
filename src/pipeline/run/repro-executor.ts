/**
 * `ghml repro`: brings the selected stages up to date in DAG order, up to `jobs` at a time.
 * Each stage, once its upstream stages are done, is checked against ghml.lock and then
 * skipped (nothing changed), restored (outputs missing but cached, or the same cache key ran
 * before: the run cache, unless the stage is always_changed or has a persist output), or run
 * as one ghml run. A frozen stage never runs; its missing outputs are restored from the lock.
 * A failed stage stops its dependents, and without `keepGoing` no new stage starts.
 * SIGINT/SIGTERM stop scheduling; the running stages' process groups get the signal (recorded
 * KILLED), and a second signal SIGKILLs them. ghml.lock is written after every stage, so an
 * interrupted pipeline keeps its progress.
 */
import { join } from 'node:path';
import { GhmlError } from '../../errors/ghml-error.js';
import type { LoadedPipeline } from '../definition/load-pipeline.js';
import type { StageSpec } from '../definition/stage-spec.js';
import type { PipelineWorkspace } from '../pipeline-workspace.js';
import { ignoreOutputs } from '../state/gitignore-outputs.js';
import type { LockedOutput, LockedStage } from '../state/lock-file.js';
import type { PathHash } from '../state/path-hasher.js';
import { checkStage, lockedPath, type StageCheck } from '../state/stage-status.js';
import { describeChanges } from './change-summary.js';
import type { RunCacheHit } from './run-cache.js';
import { runStage, stageExperiment, type StageRunSettings } from './stage-runner.js';

export type StageOutcome =
  'skipped' | 'restored' | 'ran' | 'would-run' | 'frozen' | 'failed' | 'killed' | 'blocked';

export interface StageReport {
  name: string;
  outcome: StageOutcome;
  /** The ghml run of a stage that ran. */
  runId: string | null;
  /** Why it ran, was restored, failed or was blocked. */
  detail: string;
}

export interface ReproOptions {
  /** Stage names to bring up to date (with their upstream stages); all when empty. */
  stages: string[];
  jobs: number;
  force: boolean;
  dry: boolean;
  keepGoing: boolean;
  /** Only the named stages may run: upstream stages are checked and restored, never run. */
  singleItem: boolean;
  push: boolean;
  pipelineRunId: string;
  /** Experiment for stages whose name is not a valid experiment name (read when needed). */
  defaultExperiment: () => Promise<string>;
}

export interface ReproContext {
  pipeline: LoadedPipeline;
  workspace: PipelineWorkspace;
  env: NodeJS.ProcessEnv;
  log(message: string): void;
  /** Signals the executor listens to (process in production). */
  signals?: NodeJS.EventEmitter;
}

export interface ReproResult {
  stages: StageReport[];
  interrupted: boolean;
  failed: boolean;
}

const DONE_OK: ReadonlySet<StageOutcome> = new Set([
  'skipped',
  'restored',
  'ran',
  'would-run',
  'frozen',
]);
const OUTCOME_WORDS: Record<StageOutcome, string> = {
  skipped: 'up to date, skipped',
  restored: 'restored',
  ran: 'done',
  'would-run': 'would run',
  frozen: 'skipped',
  failed: 'FAILED',
  killed: 'KILLED',
  blocked: 'not run',
};
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Whether the run cache may stand in for running the stage, as DVC decides: not for an
 * `always_changed` stage, nor for one with a `persist` output (what it writes depends on what
 * was there before, which the cache key does not cover).
 */
export function usesRunCache(stage: StageSpec): boolean {
  return !stage.alwaysChanged && !stage.outs.some((o) => o.persist);
}

export async function reproduce(
  options: ReproOptions,
  context: ReproContext,
): Promise<ReproResult> {
  const { graph, definition } = context.pipeline;
  const ws = context.workspace;
  const targets = options.stages.length > 0 ? options.stages : graph.order.map((s) => s.name);
  const runnable = new Set(targets);
  const selected = graph.closure(targets);
  const selectedNames = new Set(selected.map((s) => s.name));
  const reports = new Map<string, StageReport>();
  const running = new Map<string, Promise<void>>();
  const groups = new Set<number>();
  let stop = false;
  let interrupted = false;
  let signalsSeen = 0;

  const signals = context.signals ?? process;
  const onSignal = (): void => {
    signalsSeen += 1;
    interrupted = true;
    stop = true;
    if (signalsSeen > 1) {
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  };
  for (const signal of SIGNALS) signals.on(signal, onSignal);

  const settings: StageRunSettings = {
    root: definition.root,
    pipeline: definition.name,
    pipelineRunId: options.pipelineRunId,
    push: options.push,
    env: { ...context.env, GHML_PIPELINE_RUN_ID: options.pipelineRunId },
    pidDir: join(ws.dir, 'groups'),
    log: context.log,
  };

  const report = (
    stage: StageSpec,
    outcome: StageOutcome,
    detail: string,
    runId: string | null = null,
  ): void => {
    reports.set(stage.name, { name: stage.name, outcome, runId, detail });
    context.log(
      `Stage '${stage.name}': ${OUTCOME_WORDS[outcome]}${detail === '' ? '' : ` (${detail})`}`,
    );
  };

  const lockEntry = (check: StageCheck, outs: LockedOutput[]): LockedStage => ({
    cmd: check.stage.cmd,
    key: check.key ?? '',
    deps: check.deps.flatMap((d) => (d.current ? [lockedPath(d.path, d.current)] : [])),
    params: check.params,
    outs,
  });

  const restore = async (
    check: StageCheck,
    outs: readonly LockedOutput[],
    hit?: RunCacheHit,
  ): Promise<boolean> => {
    const extra = hit?.extraStores ?? [];
    for (const out of outs) {
      const current = check.outs.find((o) => o.path === out.path)?.current;
      if (current?.hash === out.hash) continue;
      const manifest = hit?.manifests.get(out.hash);
      if (!(await ws.outputs.canRestore(out.hash, { extra, ...(manifest ? { manifest } : {}) })))
        return false;
    }
    for (const out of outs) {
      const current = check.outs.find((o) => o.path === out.path)?.current;
      if (current?.hash === out.hash) continue;
      const manifest = hit?.manifests.get(out.hash);
      await ws.outputs.restore(join(definition.root, out.path), out.hash, {
        extra,
        ...(manifest ? { manifest } : {}),
      });
      const restored = ws.hasher.hash(out.path);
      // Keep a folder restored from a run's artifact index restorable later from the cache.
      if (restored && out.cache) await ws.outputs.save(join(definition.root, out.path), restored);
    }
    return true;
  };

  const finishRun = async (check: StageCheck): Promise<LockedOutput[]> => {
    const outs: LockedOutput[] = [];
    for (const out of check.stage.outs) {
      const hash = ws.hasher.hash(out.path) as PathHash;
      if (out.cache) await ws.outputs.save(join(definition.root, out.path), hash);
      outs.push({ ...lockedPath(out.path, hash), cache: out.cache });
    }
    return outs;
  };

  const commit = (check: StageCheck, outs: LockedOutput[]): void => {
    const entry = lockEntry(check, outs);
    ws.lock.set(check.stage.name, entry);
    ws.lock.write();
    if (check.key !== undefined) ws.runCache.record(check.key, entry);
    ignoreOutputs(
      definition.root,
      outs.filter((o) => o.cache).map((o) => o.path),
    );
  };

  const process_ = async (stage: StageSpec): Promise<void> => {
    const locked = ws.lock.get(stage.name);
    const check = checkStage(stage, locked, ws.hasher, ws.params, (h) => ws.inLocalCache(h));
    const mayRun = runnable.has(stage.name) || !options.singleItem;
    const experiment = async (): Promise<string> =>
      stageExperiment(stage, await options.defaultExperiment());

    if (stage.frozen) {
      if (
        check.onlyOutputsMissing &&
        locked &&
        !options.dry &&
        (await restore(check, locked.outs))
      ) {
        report(stage, 'frozen', 'frozen; restored its outputs from the cache');
      } else report(stage, 'frozen', 'frozen, not checked');
      return;
    }
    if (!options.force || !mayRun) {
      if (check.upToDate && locked) {
        report(stage, 'skipped', "didn't change");
        return;
      }
      if (check.onlyOutputsMissing && locked) {
        if (options.dry) {
          report(stage, 'restored', 'outputs missing: would restore them from the cache');
          return;
        }
        if (await restore(check, locked.outs)) {
          commit(check, locked.outs);
          report(stage, 'restored', 'outputs were missing: restored them from the cache');
          return;
        }
      }
      if (check.key !== undefined && usesRunCache(stage)) {
        const hit = await ws.runCache.lookup(check.key, stage, await experiment());
        if (hit !== undefined) {
          if (options.dry) {
            report(
              stage,
              'restored',
              'the same stage ran before: would restore it from the run cache',
            );
            return;
          }
          if (await restore(check, hit.outs, hit)) {
            commit(check, hit.outs);
            report(
              stage,
              'restored',
              `the same stage ran before${hit.runId ? ` (run ${hit.runId})` : ''}: restored its outputs from the run cache`,
              hit.runId,
            );
            return;
          }
        }
      }
    }
    const why = options.force ? 'forced' : describeChanges(check);
    if (!mayRun) {
      report(
        stage,
        'failed',
        `upstream of the selected stages, changed (${why}) and not restorable: run it first`,
      );
      return;
    }
    if (options.dry) {
      report(stage, 'would-run', why);
      return;
    }
    if (check.key === undefined) {
      const missing = check.deps.filter((d) => d.current === undefined).map((d) => d.path);
      report(
        stage,
        'failed',
        missing.length > 0
          ? `missing dependency ${missing.map((p) => `'${p}'`).join(', ')}`
          : 'a param it lists is missing from its params file',
      );
      return;
    }
    context.log(`Running stage '${stage.name}' (${why}):\n> ${stage.cmd.join('\n> ')}`);
    const result = await runStage(check, await experiment(), settings);
    for (const group of result.groups) groups.add(group);
    if (result.status === 'KILLED') {
      report(stage, 'killed', 'interrupted', result.runId);
      return;
    }
    if (result.status !== 'FINISHED' || result.problem !== null) {
      report(
        stage,
        'failed',
        result.problem ?? `the command failed (exit status ${result.exitStatus})`,
        result.runId,
      );
      return;
    }
    commit(check, await finishRun(check));
    report(stage, 'ran', why, result.runId);
  };

  const pending = [...selected];
  const jobs = Math.max(1, options.jobs);
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      const pump = (): void => {
        if (!stop) {
          for (let i = 0; i < pending.length && running.size < jobs;) {
            const stage = pending[i] as StageSpec;
            const ups = graph.upstreamOf(stage.name).filter((u) => selectedNames.has(u));
            const blocker = ups.find((u) => {
              const done = reports.get(u);
              return done !== undefined && !DONE_OK.has(done.outcome);
            });
            if (blocker !== undefined) {
              report(stage, 'blocked', `upstream stage '${blocker}' did not succeed`);
              pending.splice(i, 1);
              continue;
            }
            if (!ups.every((u) => reports.has(u))) {
              i++;
              continue;
            }
            pending.splice(i, 1);
            const task = process_(stage)
              .catch((error: unknown) => {
                const hint = error instanceof GhmlError && error.hint ? ` (${error.hint})` : '';
                report(stage, 'failed', `${(error as Error).message}${hint}`);
              })
              .finally(() => {
                running.delete(stage.name);
                const outcome = reports.get(stage.name)?.outcome;
                if (outcome === 'killed') stop = true;
                if (outcome !== undefined && !DONE_OK.has(outcome) && !options.keepGoing)
                  stop = true;
                try {
                  pump();
                } catch (error) {
                  rejectAll(error);
                }
              });
            running.set(stage.name, task);
          }
        }
        if (running.size === 0) resolveAll();
      };
      pump();
    });
  } finally {
    for (const signal of SIGNALS) signals.off(signal, onSignal);
    ws.state.save();
  }
  if (interrupted) {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const stage of pending) {
    if (!reports.has(stage.name))
      report(
        stage,
        'blocked',
        interrupted ? 'not started: interrupted' : 'not started: an earlier stage failed',
      );
  }
  const stages = selected.map((s) => reports.get(s.name) as StageReport);
  return {
    stages,
    interrupted,
    failed: stages.some((s) => !DONE_OK.has(s.outcome)),
  };
}
