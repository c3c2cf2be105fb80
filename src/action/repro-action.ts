/**
 * `command: repro`: brings the named pipeline stages up to date as `ghml repro --single-item`
 * does (upstream stages are restored from the workspace, the cache or the run cache, never
 * run: in a compiled workflow they are other jobs). Stage commands get the runner's
 * environment without tokens. Writes a table of the stages to the job summary and fails the
 * step when a stage failed or was interrupted.
 */
import { GhmlError } from '../errors/ghml-error.js';
import { reproducePipeline } from '../pipeline/pipeline-service.js';
import { escapeMarkdown } from '../text/markdown-escape.js';
import type { ActionIo } from './action-io.js';
import type { ReproCommandSettings } from './inputs.js';

/** Variables a stage's command must not see. */
const SECRET_VARIABLES =
  /^(INPUT_|STATE_)|^(GITHUB_TOKEN|GH_TOKEN|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN)$/;

export class PipelineStageError extends GhmlError {
  constructor(failed: string[], interrupted: boolean) {
    super(
      interrupted
        ? 'the pipeline was interrupted'
        : `stage${failed.length === 1 ? '' : 's'} ${failed.map((s) => `'${s}'`).join(', ')} did not succeed`,
      {
        hint: interrupted
          ? 're-run the job: stages that finished are restored from the run cache'
          : 'read the stage output above; `ghml status` shows what changed',
      },
    );
    this.name = 'PipelineStageError';
  }
}

export async function reproAction(settings: ReproCommandSettings, io: ActionIo): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(settings.env))
    if (!SECRET_VARIABLES.test(key)) env[key] = value;
  const result = await reproducePipeline(
    {
      stages: settings.stages,
      jobs: 1,
      force: false,
      dry: false,
      keepGoing: false,
      singleItem: settings.stages.length > 0,
      push: settings.push,
    },
    { cwd: settings.workingDirectory, env, log: (message) => io.info(message) },
  );
  if (io.summary !== undefined) {
    const rows = result.stages.map(
      (s) =>
        `| ${escapeMarkdown(s.name)} | ${s.outcome} | ${s.runId ?? ''} | ${escapeMarkdown(s.detail)} |`,
    );
    await io.summary.append(
      [
        `### ghml pipeline run ${escapeMarkdown(result.pipelineRunId)}`,
        '',
        '| stage | outcome | run | why |',
        '| :-- | :-- | :-- | :-- |',
        ...rows,
        '',
      ].join('\n'),
    );
  }
  const failed = result.stages.filter((s) => s.outcome === 'failed' || s.outcome === 'killed');
  if (result.failed || result.interrupted) {
    throw new PipelineStageError(
      failed.map((s) => s.name),
      result.interrupted,
    );
  }
}
