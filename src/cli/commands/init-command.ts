/** `ghml init`: ghml.yml, workflow templates and the tracking branch for a repository. */
import type { Command } from 'commander';
import { initRepository } from '../../init/init-repository.js';
import { nextSteps } from '../../init/next-steps.js';
import { WORKFLOW_SETS } from '../../init/workflow-templates.js';
import type { CommandContext } from '../program.js';

interface InitCommandOptions {
  workflow: string[];
  workflows: boolean;
  experiment: string;
  actionRef?: string;
  force?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

export function registerInitCommand(program: Command, context: CommandContext): void {
  program
    .command('init')
    .description('write ghml.yml and GitHub workflows, and create the tracking branch')
    .option(
      '-w, --workflow <name>',
      `workflows to add: ${Object.keys(WORKFLOW_SETS).join(', ')} (repeatable; default train)`,
      collect,
      [],
    )
    .option('--no-workflows', 'write no workflow, only ghml.yml and the tracking branch')
    .option('-e, --experiment <name>', 'experiment named in the new ghml.yml', 'default')
    .option(
      '--action-ref <owner/repo@ref>',
      'the ghml action the workflows use (default ghml/ghml@v1)',
    )
    .option('-f, --force', 'replace existing files that differ')
    .action(async (options: InitCommandOptions) => {
      const workflows = options.workflows
        ? options.workflow.length > 0
          ? options.workflow
          : ['train']
        : [];
      const result = await initRepository({
        cwd: context.cwd,
        workflows,
        experiment: options.experiment,
        actionRef: options.actionRef,
        force: options.force ?? false,
      });
      for (const file of result.files) {
        const note =
          file.action === 'kept' ? ' (it differs from the starter one; --force replaces it)' : '';
        context.io.err(`ghml: ${file.action} ${file.path}${note}`);
      }
      context.io.err(
        result.branch.created
          ? `ghml: created the tracking branch ${result.branch.name} (format 1); the first \`ghml run\` pushes it`
          : `ghml: the tracking branch ${result.branch.name} already exists`,
      );
      context.io.err('ghml: next steps:');
      for (const line of nextSteps({ result, workflows, actionRef: options.actionRef })) {
        context.io.err(line);
      }
      context.io.out(result.root);
    });
}
