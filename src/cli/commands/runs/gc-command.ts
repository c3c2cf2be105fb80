/**
 * `ghml gc [--dry-run]`: removes from the artifact store the run manifests of runs that were
 * deleted (`ghml runs delete`) or are no longer on the tracking branch. A run any registry tag
 * names is always kept, and model versions (their own repositories) are never touched. With
 * --dry-run it only lists what it would remove.
 */
import type { Command } from 'commander';
import { applyGc, planGc, type RegisteredVersion } from '../../../artifacts/store-gc.js';
import { UsageError } from '../../../errors/ghml-error.js';
import { readRegistry } from '../../../registry/registry-reader.js';
import { openCommandStore } from '../../artifact-store-access.js';
import { openRepository, refreshRuns } from '../../open-repository.js';
import type { CommandContext } from '../../program.js';

interface GcOptions {
  dryRun?: boolean;
  json?: boolean;
  fetch: boolean;
}

export function registerGcCommand(program: Command, context: CommandContext): void {
  program
    .command('gc')
    .description("remove the artifact store's copies of deleted runs (never a registered version)")
    .option('--dry-run', 'only list what would be removed')
    .option('--json', 'print the plan (and what was removed) as JSON')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (options: GcOptions) => {
      const repo = await openRepository(context.cwd);
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
