/**
 * `ghml gc [--dry-run]`: removes from the artifact store the run manifests of runs that were
 * deleted (`ghml runs delete`) or are no longer on the tracking branch. A run any registry tag
 * names is always kept, and model versions (their own repositories) are never touched. With
 * --dry-run it only lists what it would remove. `ghml gc --local` prunes this machine's content
 * cache instead (src/artifacts/local-cache-gc.ts says what it keeps).
 */
import type { Command } from 'commander';
import { applyLocalGc, planLocalGc } from '../../../artifacts/local-cache-gc.js';
import { localCacheRoot, LocalContentStore } from '../../../artifacts/local-content-store.js';
import { pendingDir, PendingQueue } from '../../../artifacts/pending-queue.js';
import { applyGc, planGc, type RegisteredVersion } from '../../../artifacts/store-gc.js';
import { findProjectRoot } from '../../../pipeline/pipeline-project.js';
import { NoPipelineError } from '../../../pipeline/definition/definition-errors.js';
import { LockFile } from '../../../pipeline/state/lock-file.js';
import { formatBytes } from '../../../text/format-number.js';
import { UsageError } from '../../../errors/ghml-error.js';
import { readRegistry } from '../../../registry/registry-reader.js';
import { openCommandStore } from '../../artifact-store-access.js';
import { openRepository, refreshRuns, type OpenRepository } from '../../open-repository.js';
import type { CommandContext } from '../../program.js';

interface GcOptions {
  dryRun?: boolean;
  local?: boolean;
  json?: boolean;
  fetch: boolean;
}

export function registerGcCommand(program: Command, context: CommandContext): void {
  program
    .command('gc')
    .description("remove the artifact store's copies of deleted runs (never a registered version)")
    .option('--dry-run', 'only list what would be removed')
    .option(
      '--local',
      "prune this machine's content cache (.git/ghml/objects) instead: files already uploaded, leftovers of abandoned runs, pipeline outputs ghml.lock no longer names",
    )
    .option('--json', 'print the plan (and what was removed) as JSON')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (options: GcOptions) => {
      const repo = await openRepository(context.cwd);
      if (options.local) {
        await pruneLocalCache(repo, options, context);
        return;
      }
      const store = await openCommandStore(repo, context.env);
      if (store === null) {
        throw new UsageError('there is no artifact store to clean', {
          hint: 'set artifacts.store in ghml.yml (e.g. oci://ghcr.io/<owner>/<repo>)',
        });
      }
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const live = (await repo.store.listRuns()).map((run) => run.id);
      const registry = await readRegistry(repo.git);
      const registered: RegisteredVersion[] = [];
      for (const model of registry.models) {
        for (const event of model.events) {
          const runId = event.metadata?.runId;
          if (runId !== undefined) registered.push({ runId });
        }
      }
      const plan = await planGc(store, { liveRunIds: live, registered });
      const removed = options.dryRun ? undefined : await applyGc(store, plan);
      if (options.json) {
        context.io.out(
          JSON.stringify({ ...plan, dryRun: options.dryRun === true, removed }, null, 2),
        );
        return;
      }
      if (plan.candidates.length === 0) {
        context.io.out(`nothing to remove from ${plan.store}`);
        return;
      }
      const verb = options.dryRun ? 'would remove' : 'removed';
      for (const c of removed?.deleted ?? plan.candidates) {
        context.io.out(`${verb} ${plan.repository}:${c.runId} (${c.manifestDigest.slice(0, 19)}…)`);
      }
      for (const s of removed?.skipped ?? []) context.io.out(`skipped ${s.runId}: ${s.reason}`);
      if (!options.dryRun) {
        context.io.out('the registry frees the space when its own garbage collection runs');
      }
    });
}

async function pruneLocalCache(
  repo: OpenRepository,
  options: GcOptions,
  context: CommandContext,
): Promise<void> {
  const gitDir = await repo.git.gitDir();
  const root = localCacheRoot(gitDir);
  const runs = await repo.store.listRuns({ includeDeleted: true });
  const queue = new PendingQueue(pendingDir(gitDir), new LocalContentStore(root));
  const { uploads, invalid } = await queue.list();
  // A record that cannot be read hides which files it still needs: prune nothing until it is
  // dealt with, since those files may be the only copies.
  const unusable = invalid[0];
  if (unusable !== undefined) throw unusable;
  const lock = pipelineLock(context.cwd, repo.root);
  const plan = await planLocalGc({
    root,
    runArtifacts: runs.flatMap((run) => run.record.artifacts),
    pending: uploads.flatMap((upload) => upload.files.map((file) => file.sha256)),
    lockedOutputs: [...(lock?.stages.values() ?? [])].flatMap((stage) =>
      stage.outs.filter((out) => out.cache).map((out) => out.hash),
    ),
  });
  if (!options.dryRun) await applyLocalGc(plan);
  if (options.json) {
    context.io.out(
      JSON.stringify(
        {
          cache: plan.root,
          dryRun: options.dryRun === true,
          removed: plan.remove,
          bytes: plan.bytes,
          kept: plan.kept,
          interruptedWrites: plan.temp.length,
        },
        null,
        2,
      ),
    );
    return;
  }
  const verb = options.dryRun ? 'would remove' : 'removed';
  context.io.out(
    `${verb} ${plan.remove.length} object(s), ${formatBytes(plan.bytes)}, from ${plan.root}; kept ${plan.kept} still needed (pending uploads, files only this machine has, ghml.lock outputs, anything from the last hour)`,
  );
}

/** The pipeline's ghml.lock, or none when there is no pipeline here. */
function pipelineLock(cwd: string, root: string): LockFile | undefined {
  try {
    return LockFile.read(findProjectRoot(cwd, root));
  } catch (error) {
    if (error instanceof NoPipelineError) return undefined;
    throw error;
  }
}
