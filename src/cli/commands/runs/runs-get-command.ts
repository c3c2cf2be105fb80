/** `ghml runs get <id> [path…] [-o dir]`: download a run's artifacts, each sha256-checked. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { localCacheRoot, LocalContentStore } from '../../../artifacts/local-content-store.js';
import {
  LOCAL_FILE_SOURCE,
  downloadRunArtifacts,
  localCacheSource,
} from '../../../tracking/run-artifact-download.js';
import { formatBytes } from '../../../text/format-number.js';
import { openRepository, refreshRuns } from '../../open-repository.js';
import { createProgress } from '../../progress.js';
import type { CommandContext } from '../../program.js';
import { openCommandStore } from '../../artifact-store-access.js';
import { storeArtifactSource } from '../../../artifacts/store-artifact-source.js';

interface GetOptions {
  output?: string;
  force?: boolean;
  json?: boolean;
  fetch: boolean;
}

export function registerRunsGetCommand(runs: Command, context: CommandContext): void {
  runs
    .command('get')
    .description("download a run's artifacts (all, or the files and folders named), sha256-checked")
    .argument('<run-id>', 'run id or a unique prefix of it')
    .argument('[paths...]', 'artifact files or folders (default: all)')
    .option('-o, --output <dir>', 'where to write them (default: ./<run-id>)')
    .option('--force', 'overwrite files that differ')
    .option('--json', 'print what was written as JSON')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .action(async (id: string, paths: string[], options: GetOptions) => {
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const run = await repo.store.findRun(id);
      const outDir = resolve(context.cwd, options.output ?? run.id);
      const progress = createProgress({ interactive: context.io.interactive });
      const cache = new LocalContentStore(localCacheRoot(await repo.git.gitDir()));
      const store = await openCommandStore(repo, context.env);
      const files = await downloadRunArtifacts(repo.store, run, paths, outDir, {
        ...(options.force ? { force: true } : {}),
        sources: [
          localCacheSource(cache),
          ...(store ? [storeArtifactSource(store)] : []),
          LOCAL_FILE_SOURCE,
        ],
        onFile: (entry) => {
          const bar = progress.start(entry.path, entry.size);
          return (bytes) => {
            bar.advance(bytes);
            bar.stop();
          };
        },
      });
      if (options.json) {
        context.io.out(JSON.stringify({ run: run.id, directory: outDir, files }, null, 2));
        return;
      }
      if (files.length === 0) {
        context.io.out(`run ${run.id} has no artifacts`);
        return;
      }
      const bytes = files.reduce((n, f) => n + f.size, 0);
      context.io.out(
        `${files.length} file(s), ${formatBytes(bytes)}, in ${outDir} (sha256 checked)`,
      );
    });
}
