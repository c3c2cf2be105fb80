/**
 * `ghml push`: sends what waits locally: runs and events recorded offline (or whose push
 * failed), runs left open by a ghml process that died (recorded KILLED first), registry tags
 * made while offline, and large files waiting in the local cache for the artifact store.
 * Delivered runs that wait in the remote's inbox are folded into the
 * branch. `--drop <id>` removes a refused run from the queue, saving its files first.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeError, GhmlError } from '../../../errors/ghml-error.js';
import { openCommandStore } from '../../artifact-store-access.js';
import { createProgress } from '../../progress.js';
import {
  pushUnpushedRegistryTags,
  type TagPushReport,
} from '../../../registry/tags/unpushed-tags.js';
import { recordStaleOpenRuns } from '../../../tracking/open-run.js';
import { EntriesRefusedError } from '../../../tracking/tracking-errors.js';
import type { PushResult } from '../../../tracking/store/tracking-store.js';
import { openRepository, type OpenRepository } from '../../open-repository.js';
import type { CommandContext } from '../../program.js';

interface PushOptions {
  json?: boolean;
  drop?: string;
  tags: boolean;
}

async function drop(
  repo: OpenRepository,
  id: string,
  context: CommandContext,
  json: boolean,
): Promise<void> {
  const saveDir = join(await repo.git.gitDir(), 'ghml', 'dropped');
  const dropped = await repo.store.drop(id, saveDir);
  if (json) {
    context.io.out(JSON.stringify({ dropped }));
    return;
  }
  context.io.out(
    `dropped ${dropped.kind} ${dropped.id} from the queue; its files are in ${dropped.savedTo}`,
  );
}

function summary(
  remote: string,
  branch: string,
  result: PushResult,
  tags: TagPushReport,
): string[] {
  const lines: string[] = [];
  if (result.pushed === 0 && result.folded === 0 && tags.pushed.length === 0) {
    lines.push(`nothing to push: ${remote} has every run`);
  } else if (result.pushed > 0) {
    lines.push(`pushed ${result.pushed} run(s) to ${remote}/${branch}`);
  }
  if (result.delivered > 0) {
    lines.push(
      `${result.delivered} of them wait in ${remote}'s inbox (others were pushing); every reader sees them, and the next push folds them into ${branch}`,
    );
  }
  if (result.folded > 0)
    lines.push(
      `folded ${result.folded} delivered entr${result.folded === 1 ? 'y' : 'ies'} into ${branch}`,
    );
  if (result.foldProblem)
    lines.push(`could not fold the inbox into ${branch}: ${result.foldProblem}`);
  if (tags.pushed.length > 0)
    lines.push(`pushed ${tags.pushed.length} registry tag(s): ${tags.pushed.join(', ')}`);
  for (const refused of tags.refused)
    lines.push(`registry tag ${refused.tag} was refused: ${refused.reason}`);
  return lines;
}

/** Uploads the large files waiting in the local cache, when a store is configured. */
async function uploadPendingArtifacts(
  repo: OpenRepository,
  context: CommandContext,
): Promise<
  | { store: string; uploaded: string[]; failed: Array<{ runId: string; reason: string }> }
  | undefined
> {
  const store = await openCommandStore(repo, context.env);
  if (store === null) return undefined;
  const progress = createProgress({ interactive: context.io.interactive });
  const bars = new Map<string, ReturnType<typeof progress.start>>();
  const last = new Map<string, number>();
  const result = await store.uploadPending({
    onProgress: (runId, done, total) => {
      let bar = bars.get(runId);
      if (bar === undefined) {
        bar = progress.start(`run ${runId.slice(0, 10)}`, total);
        bars.set(runId, bar);
      }
      bar.advance(done - (last.get(runId) ?? 0));
      last.set(runId, done);
    },
  });
  for (const bar of bars.values()) bar.stop();
  return {
    store: store.url,
    uploaded: result.uploaded.map((u) => u.tag),
    failed: result.failed.map((f) => ({ runId: f.runId, reason: describeError(f.error) })),
  };
}

export function registerPushCommand(program: Command, context: CommandContext): void {
  program
    .command('push')
    .description(
      'push runs, events and registry tags recorded locally (offline, --no-push, or after a failed push)',
    )
    .option(
      '--drop <run-id>',
      'remove a run the remote refuses from the local queue (its files are saved under .git/ghml/dropped/)',
    )
    .option('--no-tags', 'do not push registry tags made while offline')
    .option('--json', 'print the result as JSON')
    .action(async (options: PushOptions) => {
      const repo = await openRepository(context.cwd);
      if (options.drop !== undefined)
        return drop(repo, options.drop, context, options.json === true);
      const remote = repo.config.tracking.remote;
      if (!(await repo.git.hasRemote(remote))) {
        throw new GhmlError(`no remote '${remote}' to push to`, {
          hint: `add one with \`git remote add ${remote} <url>\`, or set tracking.remote in ghml.yml`,
        });
      }
      const log = (message: string): void => context.io.err(message);
      await repo.store.fetch();
      const stale = await recordStaleOpenRuns(repo.git, { push: false, log });
      const pending = await repo.store.unpushedRunIds();
      let result: PushResult;
      let refused: EntriesRefusedError | undefined;
      try {
        result = await repo.store.push();
      } catch (error) {
        if (!(error instanceof EntriesRefusedError)) throw error;
        refused = error;
        result = {
          pushed: error.pushed,
          delivered: error.pushed,
          folded: 0,
          attempts: 1,
          tip: undefined,
          foldProblem: undefined,
        };
      }
      const tags = options.tags
        ? await pushUnpushedRegistryTags(repo.git, remote)
        : { pushed: [], refused: [] };
      const artifacts = await uploadPendingArtifacts(repo, context);
      const { branch } = repo.config.tracking;
      if (options.json) {
        context.io.out(
          JSON.stringify({
            pushed: result.pushed,
            runs: pending.filter((id) => !refused?.refused.some((r) => r.id === id)),
            delivered: result.delivered,
            folded: result.folded,
            attempts: result.attempts,
            tip: result.tip ?? null,
            recordedKilled: stale.map((s) => s.record.id),
            refused: refused?.refused ?? [],
            tags,
            artifacts: artifacts && {
              store: artifacts.store,
              uploaded: artifacts.uploaded,
              failed: artifacts.failed,
            },
          }),
        );
      } else {
        for (const line of summary(remote, branch, result, tags)) context.io.out(line);
        if (artifacts && artifacts.uploaded.length > 0) {
          context.io.out(
            `uploaded the large files of ${artifacts.uploaded.length} run(s) to ${artifacts.store}`,
          );
        }
        for (const failed of artifacts?.failed ?? []) {
          context.io.err(
            `ghml: warning: run ${failed.runId}'s files stay queued: ${failed.reason}`,
          );
        }
      }
      if (refused) throw refused;
      if (tags.refused.length > 0) {
        throw new GhmlError(`${tags.refused.length} registry tag(s) were refused by ${remote}`, {
          hint: 'a tag of that name already exists there with another commit: run `ghml model list` to compare, then delete the local tag with `git tag -d <tag>`',
        });
      }
    });
}
