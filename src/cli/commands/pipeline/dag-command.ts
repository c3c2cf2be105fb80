/** `ghml dag`: the pipeline's stage graph as text or Mermaid. */
import type { Command } from 'commander';
import { formatDagMermaid, formatDagText } from '../../../pipeline/graph/dag-render.js';
import { loadPipelineAt } from '../../../pipeline/pipeline-service.js';
import type { CommandContext } from '../../program.js';

export function registerDagCommand(program: Command, context: CommandContext): void {
  program
    .command('dag')
    .description('print the pipeline stage graph')
    .option('--mermaid', 'print a Mermaid flowchart (GitHub renders it in Markdown)')
    .action(async (options: { mermaid?: boolean }) => {
      const { graph } = await loadPipelineAt(context.cwd);
      context.io.out(options.mermaid ? formatDagMermaid(graph) : formatDagText(graph));
    });
}
