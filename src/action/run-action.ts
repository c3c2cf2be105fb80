/**
 * `command: run`: runs the `train` script like a `run:` step and records it as a run with the
 * same service as `ghml run`. Before training starts, state for the post step is saved, so a
 * cancelled job (whose main step is killed) still gets its run recorded as KILLED.
 */
import { writeJobSummary } from '../github/job-summary.js';
import { escapeMarkdown } from '../text/markdown-escape.js';
import { formatValue } from '../text/format-number.js';
import { openRepository } from '../tracking/repository-context.js';
import type { RunRecord } from '../tracking/run-record.js';
import { runAndRecord } from '../tracking/run-session.js';
import { RunNotPushedError, TrainingFailedError } from './action-errors.js';
import type { ActionIo } from './action-io.js';
import { STATE, type RunCommandSettings } from './inputs.js';
import { exportRunRecord } from './run-record-export.js';
import { writeTrainScript } from './train-script.js';

/** Outputs of `command: run`. */
export const RUN_OUTPUTS = ['run-id', 'run-status', 'exit-code', 'pushed', 'record-dir'] as const;

export async function runTrainingAction(
  settings: RunCommandSettings,
  io: ActionIo,
): Promise<RunRecord> {
  const script = await writeTrainScript(settings.train, settings.tempDir);
  const env: NodeJS.ProcessEnv = { ...settings.env };
  if (settings.matrix !== undefined) env.GHML_MATRIX = settings.matrix;

  io.saveState(STATE.command, 'run');
  io.saveState(STATE.workingDirectory, settings.workingDirectory);
  io.saveState(STATE.push, String(settings.push));
  io.saveState(STATE.since, String(Date.now()));
  io.saveState(STATE.phase, 'training');

  let result: Awaited<ReturnType<typeof runAndRecord>>;
  try {
    result = await runAndRecord(
      {
        command: script.command,
        experiment: settings.experiment,
        name: settings.name,
        params: settings.params,
        push: settings.push,
        stdoutMetrics: settings.stdoutMetrics,
      },
      {
        cwd: settings.workingDirectory,
        env,
        log: (message) => io.info(message),
        // Large files go to the artifact store (GitHub's container registry by default).
        storeToken: settings.token ?? env.GITHUB_TOKEN,
      },
    );
  } catch (error) {
    // The post step records what an open run logged as FAILED.
    io.saveState(STATE.phase, 'crashed');
    throw error;
  } finally {
    await script.remove();
  }
  io.saveState(STATE.phase, 'done');

  const run = result.record;
  io.info(
    `ghml: run ${run.id} ${run.status} (experiment ${run.experiment}, commit ${run.source.commit.slice(0, 7)})`,
  );
  io.setOutput('run-id', run.id);
  io.setOutput('run-status', run.status);
  io.setOutput('exit-code', String(result.exitStatus));
  io.setOutput('pushed', String(result.pushed !== null));
  const notPushed = settings.push && result.pushed === null && result.pushProblem !== null;
  if (result.pushed) {
    io.info(`ghml: pushed ${result.pushed.pushed} run(s) in ${result.pushed.attempts} attempt(s)`);
  } else if (result.pushProblem !== null) {
    if (settings.push) io.warning(result.pushProblem, 'ghml: run not pushed');
    else io.info(`ghml: ${result.pushProblem}`);
  }

  if (settings.recordDir !== undefined) {
    const repo = await openRepository(settings.workingDirectory, {
      warn: (message) => io.warning(message, 'ghml: tracking branch data skipped'),
    });
    const folder = await exportRunRecord(repo.store, run.id, settings.recordDir);
    io.setOutput('record-dir', settings.recordDir);
    io.info(`ghml: wrote the run record to ${folder} for upload`);
  }
  if (io.summary) await writeJobSummary(runSummary(run), { sink: io.summary });
  if (result.exitStatus !== 0) throw new TrainingFailedError(run.id, result.exitStatus);
  if (notPushed && settings.failOnPushError) {
    throw new RunNotPushedError(run.id, result.pushProblem ?? 'unknown', settings.recordDir);
  }
  return run;
}

/** A short Markdown note of the run for the job summary; every run value is escaped. */
export function runSummary(run: RunRecord): string {
  const lines = [
    `### ghml run \`${run.id}\`: ${run.status}`,
    '',
    `Experiment **${escapeMarkdown(run.experiment)}**, commit \`${run.source.commit.slice(0, 7)}\`` +
      (run.github?.matrix
        ? `, matrix ${escapeMarkdown(
            Object.entries(run.github.matrix)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
          )}`
        : '') +
      '.',
  ];
  const metrics = Object.entries(run.metrics);
  if (metrics.length > 0) {
    lines.push('', '| metric | value | min | max |', '| --- | ---: | ---: | ---: |');
    for (const [key, summary] of metrics.slice(0, 50)) {
      lines.push(
        `| ${escapeMarkdown(key)} | ${formatValue(summary.value, 4)} | ${formatValue(summary.min, 4)} | ${formatValue(summary.max, 4)} |`,
      );
    }
    if (metrics.length > 50) lines.push('', `…and ${metrics.length - 50} more metrics.`);
  }
  return `${lines.join('\n')}\n\n`;
}
