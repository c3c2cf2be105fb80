/** Typed errors of loading a pipeline definition: every problem with its file:line. */
import type { ConfigProblem } from '../../config/config-errors.js';
import { formatProblem } from '../../config/config-errors.js';
import { GhmlError, UsageError } from '../../errors/ghml-error.js';

export type DefinitionProblem = ConfigProblem;

/**
 * A definition that cannot be used: schema problems, a `${}` that does not resolve, a cycle,
 * overlapping outputs. Carries every problem found, in file order.
 */
export class PipelineDefinitionError extends UsageError {
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[]) {
    const first = problems[0];
    if (first === undefined) throw new TypeError('PipelineDefinitionError needs a problem');
    const single = problems.length === 1;
    super(
      single
        ? formatProblem(first)
        : [
            `${first.file} has ${problems.length} problems:`,
            ...problems.map((p) => `  ${formatProblem(p)}\n    fix: ${p.fix}`),
          ].join('\n'),
      {
        hint: single
          ? first.fix
          : 'fix each problem listed above; docs/pipelines.md describes the stage format',
      },
    );
    this.name = 'PipelineDefinitionError';
    this.problems = problems;
  }
}

/** The folder has no pipeline: no `stages:` in ghml.yml and no dvc.yaml. */
export class NoPipelineError extends UsageError {
  constructor(readonly folder: string) {
    super(`no pipeline in ${folder}: ghml.yml has no 'stages:' and there is no dvc.yaml`, {
      hint: 'add a stages: section to ghml.yml (see docs/pipelines.md), or run ghml in the folder that holds dvc.yaml',
    });
    this.name = 'NoPipelineError';
  }
}

/** A stage name given on the command line that the pipeline does not have. */
export class UnknownStageError extends UsageError {
  constructor(
    readonly stage: string,
    known: readonly string[],
    suggestion: string | undefined,
  ) {
    super(`the pipeline has no stage '${stage.slice(0, 200)}'`, {
      hint: `${suggestion === undefined ? '' : `did you mean '${suggestion}'? `}stages: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', ...' : ''} (ghml dag lists them)`,
    });
    this.name = 'UnknownStageError';
  }
}

/** A params file a stage needs is missing or unreadable. */
export class ParamsFileError extends GhmlError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`params file ${file}: ${reason}`, {
      hint: `create ${file} with the params the stage lists, or fix its YAML`,
      exitCode: 2,
    });
    this.name = 'ParamsFileError';
  }
}
