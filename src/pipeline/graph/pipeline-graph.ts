/**
 * The stage DAG: an edge runs from the stage that writes an output to every stage with a
 * dependency on that path, inside it, or containing it. Built once per load; refuses two
 * stages writing one path, an output inside another stage's output, and cycles, each with
 * the position of the offending entry. The order is topological and otherwise follows the
 * definition, so runs and listings are stable.
 */
import type { OutputSpec, SourcePosition, StageSpec } from '../definition/stage-spec.js';

export interface GraphProblem {
  at: SourcePosition;
  message: string;
  fix: string;
}

export interface PipelineGraph {
  /** Stages in topological order. */
  readonly order: readonly StageSpec[];
  stage(name: string): StageSpec | undefined;
  /** Direct upstream stages (the writers of its deps), in topological order. */
  upstreamOf(name: string): readonly string[];
  /** Direct downstream stages. */
  downstreamOf(name: string): readonly string[];
  /** The stages `names` need, themselves included, in topological order. */
  closure(names: readonly string[]): StageSpec[];
  /** Everything downstream of `names` (not themselves). */
  descendants(names: readonly string[]): Set<string>;
  /** The output and stage writing `path` or a folder holding it, if any. */
  producerOf(path: string): { stage: StageSpec; out: OutputSpec } | undefined;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  let at = path.lastIndexOf('/');
  while (at > 0) {
    out.push(path.slice(0, at));
    at = path.lastIndexOf('/', at - 1);
  }
  return out;
}

interface Owned {
  stage: StageSpec;
  out: OutputSpec;
}

export function buildGraph(stages: readonly StageSpec[]): {
  graph: PipelineGraph | undefined;
  problems: GraphProblem[];
} {
  const problems: GraphProblem[] = [];
  const byName = new Map<string, StageSpec>();
  const index = new Map<string, number>();
  stages.forEach((stage, i) => {
    byName.set(stage.name, stage);
    index.set(stage.name, i);
  });

  // Outputs: one writer per path, none inside another stage's output.
  const outputs = new Map<string, Owned>();
  for (const stage of stages) {
    for (const out of stage.outs) {
      const other = outputs.get(out.path);
      if (other !== undefined) {
        problems.push({
          at: out.at,
          message:
            other.stage === stage
              ? `stage '${stage.name}' lists the output '${out.path}' twice`
              : `stages '${other.stage.name}' and '${stage.name}' both write the output '${out.path}' (also at line ${other.out.at.line})`,
          fix: 'give each output one writer: rename one of them or merge the stages',
        });
        continue;
      }
      outputs.set(out.path, { stage, out });
    }
  }
  const underDir = new Map<string, Owned[]>();
  for (const owned of outputs.values()) {
    for (const dir of ancestors(owned.out.path)) {
      const list = underDir.get(dir) ?? [];
      list.push(owned);
      underDir.set(dir, list);
    }
  }
  const containing = (path: string): Owned | undefined => {
    for (const dir of ancestors(path)) {
      const found = outputs.get(dir);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (const owned of outputs.values()) {
    const parent = containing(owned.out.path);
    if (parent === undefined) continue;
    problems.push({
      at: owned.out.at,
      message: `the output '${owned.out.path}' of stage '${owned.stage.name}' is inside the output '${parent.out.path}' of stage '${parent.stage.name}'`,
      fix: 'outputs may not overlap: write it outside that folder, or make it part of that stage',
    });
  }

  // Edges.
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  for (const stage of stages) {
    upstream.set(stage.name, new Set());
    downstream.set(stage.name, new Set());
  }
  const link = (from: StageSpec, to: StageSpec): void => {
    upstream.get(to.name)?.add(from.name);
    downstream.get(from.name)?.add(to.name);
  };
  for (const stage of stages) {
    for (const dep of stage.deps) {
      const writers = [
        outputs.get(dep.path) ?? containing(dep.path),
        ...(underDir.get(dep.path) ?? []),
      ];
      for (const writer of writers) if (writer !== undefined) link(writer.stage, stage);
    }
  }

  // Kahn's algorithm, taking the earliest-defined ready stage first.
  const remaining = new Map<string, number>();
  for (const stage of stages) remaining.set(stage.name, upstream.get(stage.name)?.size ?? 0);
  const ready = stages.filter((s) => remaining.get(s.name) === 0).map((s) => s.name);
  const order: StageSpec[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
    const name = ready.shift() as string;
    order.push(byName.get(name) as StageSpec);
    for (const next of downstream.get(name) ?? []) {
      const left = (remaining.get(next) ?? 0) - 1;
      remaining.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length < stages.length) {
    const cycle = findCycle(
      stages.filter((s) => (remaining.get(s.name) ?? 0) > 0).map((s) => s.name),
      upstream,
    );
    const first = byName.get(cycle[0] ?? '') ?? stages[0];
    problems.push({
      at: (first as StageSpec).at,
      message:
        cycle.length === 2 && cycle[0] === cycle[1]
          ? `stage '${cycle[0]}' depends on its own output`
          : `the stages form a cycle: ${cycle.join(' -> ')}`,
      fix: 'a stage may not depend, directly or through others, on its own outputs: remove one of these dependencies',
    });
  }
  if (problems.length > 0) return { graph: undefined, problems };

  const position = new Map(order.map((s, i) => [s.name, i]));
  const sorted = (names: Iterable<string>): string[] =>
    [...names].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  const graph: PipelineGraph = {
    order,
    stage: (name) => byName.get(name),
    upstreamOf: (name) => sorted(upstream.get(name) ?? []),
    downstreamOf: (name) => sorted(downstream.get(name) ?? []),
    closure(names) {
      const seen = new Set<string>();
      const visit = (name: string): void => {
        if (seen.has(name)) return;
        seen.add(name);
        for (const up of upstream.get(name) ?? []) visit(up);
      };
      for (const name of names) visit(name);
      return order.filter((s) => seen.has(s.name));
    },
    descendants(names) {
      const seen = new Set<string>();
      const queue = [...names];
      while (queue.length > 0) {
        for (const next of downstream.get(queue.pop() as string) ?? []) {
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      return seen;
    },
    producerOf: (path) => outputs.get(path) ?? containing(path),
  };
  return { graph, problems };
}

/** One cycle among `names` (each has an upstream inside the set), as a closed walk. */
function findCycle(names: string[], upstream: Map<string, Set<string>>): string[] {
  const inSet = new Set(names);
  const start = names[0] as string;
  const path: string[] = [];
  const onPath = new Map<string, number>();
  let current = start;
  for (;;) {
    if (onPath.has(current)) {
      const from = onPath.get(current) as number;
      // Walked along upstream edges: reverse to read in data-flow order.
      return [...path.slice(from), current].reverse();
    }
    onPath.set(current, path.length);
    path.push(current);
    const next = [...(upstream.get(current) ?? [])].find((n) => inSet.has(n));
    if (next === undefined) return [start];
    current = next;
  }
}
