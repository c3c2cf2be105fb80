/**
 * `ghml dag`: the stage graph as text (each stage in run order with the stages it waits for)
 * or as a Mermaid flowchart, which GitHub renders in Markdown.
 */
import type { PipelineGraph } from './pipeline-graph.js';

export function formatDagText(graph: PipelineGraph): string {
  const width = Math.max(...graph.order.map((s) => s.name.length), 5);
  return graph.order
    .map((stage) => {
      const ups = graph.upstreamOf(stage.name);
      return ups.length === 0 ? stage.name : `${stage.name.padEnd(width)}  <- ${ups.join(', ')}`;
    })
    .join('\n');
}

function label(name: string): string {
  return name.replace(/["<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

export function formatDagMermaid(graph: PipelineGraph): string {
  const ids = new Map(graph.order.map((s, i) => [s.name, `node${i + 1}`]));
  const lines = ['flowchart TD'];
  for (const stage of graph.order) lines.push(`\t${ids.get(stage.name)}["${label(stage.name)}"]`);
  for (const stage of graph.order) {
    for (const up of graph.upstreamOf(stage.name))
      lines.push(`\t${ids.get(up)}-->${ids.get(stage.name)}`);
  }
  return lines.join('\n');
}
