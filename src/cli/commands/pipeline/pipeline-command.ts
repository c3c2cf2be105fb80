/** `ghml pipeline compile --target actions|kfp`: the pipeline as a workflow or a KFP pipeline. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../../errors/ghml-error.js';
import { COMPILE_TARGETS, type CompileTarget } from '../../../pipeline/compile/compile-pipeline.js';
import { compilePipelineAt } from '../../../pipeline/pipeline-service.js';
import type { CommandContext } from '../../program.js';

interface CompileOptions {
  target: string;
  output?: string;
  image?: string;
  outputsVia?: string;
}

export function registerPipelineCommand(program: Command, context: CommandContext): void {
  const pipeline = program.command('pipeline').description('work with the pipeline definition');
  pipeline
    .command('compile')
    .description(
      'compile the pipeline to a GitHub Actions workflow or a Kubeflow Pipelines v2 pipeline',
    )
    .requiredOption('-t, --target <target>', `what to compile to: ${COMPILE_TARGETS.join(' or ')}`)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option(
      '--image <image>',
      '(kfp) container image of every task (default: ghml.yml pipeline.image)',
    )
    .option(
      '--outputs-via <how>',
      "(actions) how outputs reach later jobs: 'artifacts' (workflow artifacts) or 'store' (the artifact store); default: 'store' when ghml.yml sets artifacts.store, else 'artifacts'",
    )
    .action(async (options: CompileOptions) => {
      if (!(COMPILE_TARGETS as readonly string[]).includes(options.target)) {
        throw new UsageError(`unknown target '${options.target.slice(0, 40)}'`, {
          hint: `use --target ${COMPILE_TARGETS.join(' or --target ')}`,
        });
      }
      const via = options.outputsVia;
      if (via !== undefined && via !== 'artifacts' && via !== 'store') {
        throw new UsageError(
          `--outputs-via must be 'artifacts' or 'store', got '${via.slice(0, 40)}'`,
          { hint: 'use --outputs-via artifacts or --outputs-via store' },
        );
      }
      const { text, outputs } = await compilePipelineAt(context.cwd, {
        target: options.target as CompileTarget,
        image: options.image,
        outputsVia: via,
      });
      if (outputs !== undefined) {
        const how = outputs.via === 'store' ? 'the artifact store' : 'workflow artifacts';
        context.io.err(`ghml: outputs pass between jobs through ${how} (${outputs.why})`);
      }
      if (options.output === undefined) context.io.out(text);
      else {
        writeFileSync(resolve(context.cwd, options.output), text);
        context.io.err(`ghml: wrote ${options.output}`);
      }
    });
}
