/**
 * `ghml model …`: register, release, deregister, promote, demote, deprecate, list, show,
 * which and get. Argument parsing and printing only; the work is in src/registry.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/ghml-error.js';
import type { RegistryContext } from '../../registry/registration-workflow.js';
import { readRegistryState, registryService } from '../../registry/registry-reading.js';
import type { DownloadSource } from '../../registry/releases/model-download.js';
import { openRegistryContext } from '../../registry/registry-context.js';
import {
  formatModelList,
  formatModelShow,
  modelListView,
  modelShowView,
} from '../../registry/registry-view.js';
import { RegistryLookupError } from '../../registry/registry-errors.js';
import type { StageSort } from '../../registry/registry-state.js';
import type { SemVerBump } from '../../registry/tags/semver.js';
import type { CommandContext } from '../program.js';

interface CommonOptions {
  json?: boolean;
  message?: string;
  sort?: string;
}

interface RegisterOptions extends CommonOptions {
  version?: string;
  bump?: string;
  run?: string;
  path?: string[];
  release: boolean;
  adopt?: string;
}

export function registerModelCommand(program: Command, context: CommandContext): void {
  const model = program
    .command('model')
    .description('the model registry: git tags and GitHub releases');
  const out = (value: unknown): void => context.io.out(JSON.stringify(value, null, 2));

  model
    .command('register')
    .description('register a model version: an annotated tag name@vX.Y.Z, then a GitHub release')
    .argument('[name]', 'model name (not needed with --adopt)')
    .option('--version <version>', 'the version, e.g. v1.2.0')
    .option('--bump <part>', 'bump major, minor or patch from the greatest version')
    .option('--run <run-id>', 'the run the model came from (default: latest FINISHED run at HEAD)')
    .option(
      '--path <path...>',
      "model files, or one folder registered whole (e.g. an MLflow model): the run's artifacts first with --run, else the work tree first (default: ghml.yml's registry path)",
    )
    .option('-m, --message <text>', 'the human line of the tag message')
    .option('--release', 'publish a GitHub release (default when GitHub is reachable)', true)
    .option('--no-release', 'tags only, no GitHub release')
    .option(
      '--adopt <tag>',
      'adopt a lightweight name@vX.Y.Z tag (e.g. from a release made on GitHub)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, options: RegisterOptions) => {
      const ctx = await openContext(context, options);
      if (options.adopt !== undefined) {
        if (
          name !== undefined ||
          options.version !== undefined ||
          options.bump !== undefined ||
          options.run !== undefined
        ) {
          throw new UsageError(
            '--adopt takes the tag alone: the name and version come from it, the run from its commit.',
            {
              hint: `ghml model register --adopt ${options.adopt}`,
            },
          );
        }
        const result = await (
          await workflow()
        ).adoptTag(ctx, options.adopt, {
          release: options.release,
          ...(options.message === undefined ? {} : { message: options.message }),
          ...(options.path === undefined ? {} : { paths: options.path }),
        });
        if (options.json) out(result);
        else context.io.out(registeredLine('Adopted', result));
        return;
      }
      if (name === undefined) {
        throw new UsageError('ghml model register needs a model name (or --adopt <tag>).', {
          hint: 'e.g. ghml model register iris --bump minor',
        });
      }
      const result = await (
        await workflow()
      ).registerModel(ctx, {
        name,
        release: options.release,
        ...(options.version === undefined ? {} : { version: options.version }),
        ...(options.bump === undefined ? {} : { bump: parseBump(options.bump) }),
        ...(options.run === undefined ? {} : { runId: options.run }),
        ...(options.path === undefined ? {} : { paths: options.path }),
        ...(options.message === undefined ? {} : { message: options.message }),
      });
      if (options.json) out(result);
      else context.io.out(registeredLine('Registered', result));
    });

  model
    .command('release')
    .description(
      'publish (or complete) the GitHub release of a registered version, e.g. after a failed upload',
    )
    .argument('<tag>', 'the version tag, name@vX.Y.Z')
    .option('--path <file...>', 'model files in the work tree (must match the sha256 in the tag)')
    .option('--json', 'print the result as JSON')
    .action(async (tag: string, options: CommonOptions & { path?: string[] }) => {
      const ctx = await openContext(context, options);
      const result = await (
        await workflow()
      ).releaseVersion(ctx, tag, options.path === undefined ? {} : { paths: options.path });
      if (options.json) out(result);
      else context.io.out(`Published the release of ${tag}: ${result.url}`);
    });

  model
    .command('deregister')
    .description('deregister a version: tag name@vX.Y.Z!')
    .argument('<name>')
    .argument('<version>')
    .option('-m, --message <text>', 'the human line of the tag message')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, version: string, options: CommonOptions) => {
      const ctx = await openContext(context, options);
      const result = await (await workflow()).deregisterModel(ctx, name, version, options.message);
      printTag(context, options, result, `Deregistered ${name} ${version}`);
    });

  model
    .command('promote')
    .description('assign a stage to a version: tag name#stage#N')
    .argument('<name>')
    .argument('<version>', 'vX.Y.Z or latest')
    .argument('<stage>')
    .option('-m, --message <text>', 'the human line of the tag message')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, version: string, stage: string, options: CommonOptions) => {
      const ctx = await openContext(context, options);
      const result = await (
        await workflow()
      ).promoteModel(ctx, name, version, stage, options.message);
      printTag(
        context,
        options,
        result,
        `Promoted ${name} ${result.version ?? version} to ${stage}`,
      );
    });

  model
    .command('demote')
    .description('unassign a stage: tag name#stage!#N')
    .argument('<name>')
    .argument('<stage>')
    .option('-m, --message <text>', 'the human line of the tag message')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, stage: string, options: CommonOptions) => {
      const ctx = await openContext(context, options);
      const result = await (await workflow()).demoteModel(ctx, name, stage, options.message);
      printTag(
        context,
        options,
        result,
        `Demoted ${name} ${result.version ?? ''} from ${stage}`.replace('  ', ' '),
      );
    });

  model
    .command('deprecate')
    .description('deprecate a model: tag name@deprecated')
    .argument('<name>')
    .option('-m, --message <text>', 'the human line of the tag message')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: CommonOptions) => {
      const ctx = await openContext(context, options);
      const result = await (await workflow()).deprecateModel(ctx, name, options.message);
      printTag(context, options, result, `Deprecated ${name}`);
    });

  model
    .command('list')
    .description('every model with its latest version and one column per stage')
    .option('--sort <rule>', "stage resolution: 'timestamp' (latest assignment wins) or 'semver'")
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      const ctx = await openContext(context, options, { github: false });
      const state = await readRegistryState(ctx);
      if (options.json) out(modelListView(state));
      else
        context.io.out(
          formatModelList(state, { color: context.io.color, stages: ctx.config.registry.stages }),
        );
    });

  model
    .command('show')
    .description('every version of a model and the full stage history, with who and when')
    .argument('<name>')
    .option('--sort <rule>', "stage resolution: 'timestamp' or 'semver'")
    .option('--json', 'print JSON')
    .action(async (name: string, options: CommonOptions) => {
      const ctx = await openContext(context, options, { github: false });
      const state = await readRegistryState(ctx);
      const found = state.models.find((m) => m.name === name);
      if (!found) {
        throw new RegistryLookupError(
          name,
          `Model '${name}' is not in the registry.`,
          'ghml model list shows the registered models.',
        );
      }
      if (options.json) out(modelShowView(found));
      else context.io.out(formatModelShow(found, { color: context.io.color }));
    });

  model
    .command('which')
    .description('resolve name#stage, name@latest or name@vX.Y.Z to a version and commit')
    .argument('<ref>')
    .option('--sort <rule>', "stage resolution: 'timestamp' or 'semver'")
    .option('--json', 'print JSON')
    .action(async (ref: string, options: CommonOptions) => {
      const ctx = await openContext(context, options, { github: false });
      const result = await registryService(ctx).which(ref);
      if (options.json) out(result);
      else
        context.io.out(
          `${result.model} ${result.version ?? '(no version)'} ${result.commit}${result.deprecated ? ' (deprecated)' : ''}`,
        );
    });

  model
    .command('get')
    .description(
      "download a version's model files (sha256 verified) from its release, the artifact store or the run",
    )
    .argument('<ref>', 'name#stage, name@vX.Y.Z or name@latest')
    .option('-o, --output <dir>', 'folder to write the files to', '.')
    .option('--sort <rule>', "stage resolution: 'timestamp' or 'semver'")
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, options: CommonOptions & { output: string }) => {
      const ctx = await openContext(context, options);
      const { downloadModel } = await import('../../registry/releases/model-download.js');
      const { createProgress } = await import('../progress.js');
      const result = await downloadModel({
        reference: ref,
        outDir: resolve(ctx.cwd, options.output),
        registry: registryService(ctx),
        git: ctx.git,
        store: ctx.store,
        ...(ctx.releases === undefined ? {} : { releases: ctx.releases }),
        ...(ctx.artifactStore === undefined ? {} : { artifactStore: ctx.artifactStore }),
        ...(ctx.localCache === undefined ? {} : { localCache: ctx.localCache }),
        progress: createProgress({ interactive: context.io.interactive }),
      });
      if (options.json) out(result);
      else {
        for (const file of result.files)
          context.io.out(
            `${file.path} (${file.size} bytes, sha256 ${file.sha256.slice(0, 12)}…, from ${SOURCE_TEXT[file.source]})`,
          );
      }
    });
}

const SOURCE_TEXT: Record<DownloadSource, string> = {
  release: 'the release',
  'artifact-store': 'the artifact store',
  'tracking-branch': 'the tracking branch',
  local: 'this machine',
};

/** Opens the repository, its runs and (unless `github: false`) the GitHub release target. */
/**
 * The registration workflow, loaded only by the commands that change the registry: it brings
 * GitHub releases, the artifact store and archives, which `model list`, `show` and `which`
 * never need (they start in the time of a bare `git for-each-ref` plus Node).
 */
function workflow(): Promise<typeof import('../../registry/registration-workflow.js')> {
  return import('../../registry/registration-workflow.js');
}

function openContext(
  context: CommandContext,
  options: CommonOptions,
  what: { github?: boolean } = {},
): Promise<RegistryContext> {
  // program.ts applies -C/--repo to context.cwd before any action runs.
  return openRegistryContext({
    cwd: context.cwd,
    env: context.env,
    note: (message) => context.io.err(message.startsWith('ghml:') ? message : `ghml: ${message}`),
    sort: options.sort === undefined ? undefined : parseSort(options.sort),
    ...(what.github === false ? { github: false } : {}),
  });
}

function parseBump(text: string): SemVerBump {
  if (text === 'major' || text === 'minor' || text === 'patch') return text;
  throw new UsageError(`Invalid --bump '${text}': use major, minor or patch.`, {
    hint: 'e.g. --bump minor',
  });
}

function parseSort(text: string): StageSort {
  if (text === 'timestamp' || text === 'semver') return text;
  throw new UsageError(`Invalid --sort '${text}': use timestamp or semver.`, {
    hint: 'e.g. --sort semver',
  });
}

function registeredLine(
  verb: string,
  result: {
    tag: string;
    commit: string;
    pushed: boolean;
    runId: string;
    release: { url: string } | null;
  },
): string {
  const where = result.pushed ? 'pushed' : 'local only';
  const release = result.release ? `; release ${result.release.url}` : '';
  return `${verb} ${result.tag} on ${result.commit.slice(0, 12)} from run ${result.runId} (${where})${release}`;
}

function printTag(
  context: CommandContext,
  options: CommonOptions,
  result: { tag: string; pushed: boolean },
  line: string,
): void {
  if (options.json) context.io.out(JSON.stringify(result, null, 2));
  else context.io.out(`${line}: ${result.tag}${result.pushed ? ' (pushed)' : ' (local only)'}`);
}
