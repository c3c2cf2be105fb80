/**
 * Compiles a pipeline to one GitHub Actions workflow: one job per stage (a foreach/matrix
 * group becomes one matrix job, at most 256 members), `needs:` from the DAG, each job running
 * its stage through the ghml action (`command: repro`, upstream stages restored, never rerun).
 * Outputs reach downstream jobs through workflow artifacts (upload-artifact/download-artifact)
 * or, with `outputsVia: 'store'`, through ghml's content store and run cache. Permissions are
 * least privilege per job; one concurrency group per pipeline and ref. The text is built as
 * data and serialised by `yaml`, so no stage name is ever pasted into YAML or a shell.
 */
import { stringify } from 'yaml';
import type { LoadedPipeline } from '../definition/load-pipeline.js';
import type { StageSpec } from '../definition/stage-spec.js';
import { CompileError } from './compile-errors.js';
import { artifactPart, jobId, uniqueNames } from './compile-names.js';

/** GitHub's limit on the jobs of one matrix. */
export const MAX_MATRIX_JOBS = 256;
export const GHML_ACTION = 'ghml/ghml@v1';
export const CHECKOUT_ACTION = 'actions/checkout@v7';
export const UPLOAD_ACTION = 'actions/upload-artifact@v7';
export const DOWNLOAD_ACTION = 'actions/download-artifact@v8';

export interface ActionsCompileOptions {
  /** The project folder relative to the repository root ('' at the root). */
  projectDir: string;
  /** How outputs reach downstream jobs. */
  outputsVia: 'artifacts' | 'store';
}

interface Group {
  id: string;
  name: string;
  members: StageSpec[];
  matrix: boolean;
}

type Step = Record<string, unknown>;

function inProject(projectDir: string, path: string): string {
  return projectDir === '' ? path : `${projectDir}/${path}`;
}

export function compileActionsWorkflow(
  loaded: LoadedPipeline,
  options: ActionsCompileOptions,
): string {
  const { graph, definition } = loaded;
  const order: Group[] = [];
  const byGroup = new Map<string, Group>();
  const groupNames = [...new Set(graph.order.map((s) => s.group))];
  const ids = uniqueNames(groupNames, jobId);
  for (const stage of graph.order) {
    let group = byGroup.get(stage.group);
    if (group === undefined) {
      group = {
        id: ids.get(stage.group) as string,
        name: stage.group,
        members: [],
        matrix: stage.member !== null,
      };
      byGroup.set(stage.group, group);
      order.push(group);
    }
    group.members.push(stage);
  }
  if (order.some((g) => g.id === 'compare')) {
    const group = order.find((g) => g.id === 'compare') as Group;
    group.id = 'stage-compare';
  }

  const needsOf = (group: Group): string[] => {
    const needs = new Set<string>();
    for (const member of group.members) {
      for (const up of graph.upstreamOf(member.name)) {
        const upGroup = byGroup.get((graph.stage(up) as StageSpec).group) as Group;
        if (upGroup === group) {
          throw new CompileError(
            `stage '${member.name}' depends on '${up}', a member of the same foreach/matrix stage '${group.name}'`,
            'matrix jobs run side by side: move that dependency into a separate stage',
          );
        }
        needs.add(upGroup.id);
      }
    }
    return [...needs].sort(
      (a, b) => order.findIndex((g) => g.id === a) - order.findIndex((g) => g.id === b),
    );
  };
  const hasDownstream = (group: Group): boolean =>
    group.members.some((m) => graph.downstreamOf(m.name).length > 0);
  const artifactName = (group: Group, member: StageSpec): string =>
    group.matrix
      ? `ghml-outs--${group.id}--${artifactPart(member.member ?? '')}`
      : `ghml-outs--${group.id}`;
  const outPaths = (member: StageSpec): string[] => [
    inProject(options.projectDir, definition.file),
    ...member.outs.map((o) => inProject(options.projectDir, o.path)),
  ];

  const jobs: Record<string, unknown> = {};
  for (const group of order) {
    if (group.members.length > MAX_MATRIX_JOBS) {
      throw new CompileError(
        `stage '${group.name}' expands to ${group.members.length} members; a GitHub Actions matrix runs at most ${MAX_MATRIX_JOBS} jobs`,
        `split its foreach/matrix values over several stages of at most ${MAX_MATRIX_JOBS}, or compile with --target kfp`,
      );
    }
    const needs = needsOf(group);
    const steps: Step[] = [{ uses: CHECKOUT_ACTION }];
    if (options.outputsVia === 'artifacts') {
      const ups = new Set<Group>();
      for (const member of group.members) {
        for (const up of graph.upstreamOf(member.name))
          ups.add(byGroup.get((graph.stage(up) as StageSpec).group) as Group);
      }
      for (const up of order.filter((g) => ups.has(g))) {
        steps.push({
          name: `Outputs of ${up.name}`,
          uses: DOWNLOAD_ACTION,
          with: up.matrix
            ? { pattern: `ghml-outs--${up.id}--*`, 'merge-multiple': true, path: '.' }
            : { name: `ghml-outs--${up.id}`, path: '.' },
        });
      }
    }
    const stageRef = group.matrix ? '${{ matrix.stage }}' : (group.members[0] as StageSpec).name;
    steps.push({
      name: group.matrix ? 'Run the stage ${{ matrix.stage }}' : `Run the stage ${stageRef}`,
      uses: GHML_ACTION,
      with: {
        command: 'repro',
        stage: stageRef,
        ...(options.projectDir === '' ? {} : { 'working-directory': options.projectDir }),
      },
    });
    const upload = options.outputsVia === 'artifacts' && hasDownstream(group);
    if (upload) {
      steps.push({
        name: 'Outputs for the next stages',
        uses: UPLOAD_ACTION,
        with: {
          name: group.matrix
            ? '${{ matrix.artifact }}'
            : artifactName(group, group.members[0] as StageSpec),
          path: group.matrix
            ? '${{ matrix.outs }}'
            : outPaths(group.members[0] as StageSpec).join('\n'),
          'if-no-files-found': 'error',
          'retention-days': 7,
          overwrite: true,
        },
      });
    }
    const job: Record<string, unknown> = {
      name: group.matrix ? 'stage ${{ matrix.stage }}' : `stage ${group.name}`,
    };
    if (needs.length > 0) job['needs'] = needs;
    job['runs-on'] = 'ubuntu-latest';
    job['permissions'] = {
      contents: 'write',
      ...(options.outputsVia === 'store' ? { packages: 'write' } : {}),
    };
    if (group.matrix) {
      job['strategy'] = {
        'fail-fast': false,
        matrix: {
          include: group.members.map((member) => ({
            stage: member.name,
            ...(upload
              ? { artifact: artifactName(group, member), outs: outPaths(member).join('\n') }
              : {}),
          })),
        },
      };
    }
    job['steps'] = steps;
    jobs[group.id] = job;
  }
  jobs['compare'] = {
    name: 'compare with the base',
    needs: order.map((g) => g.id),
    if: "${{ !cancelled() && github.event_name == 'pull_request' }}",
    'runs-on': 'ubuntu-latest',
    permissions: { contents: 'read', 'pull-requests': 'write', statuses: 'write' },
    steps: [{ uses: CHECKOUT_ACTION }, { uses: GHML_ACTION, with: { command: 'compare' } }],
  };

  const workflow = {
    name: `pipeline ${definition.name}`,
    on: { pull_request: null, push: { branches: ['main'] }, workflow_dispatch: null },
    permissions: {},
    concurrency: {
      group: `ghml-pipeline-${definition.name}-\${{ github.event.pull_request.number || github.ref }}`,
      'cancel-in-progress': "${{ github.event_name == 'pull_request' }}",
    },
    env: { GHML_PIPELINE_RUN_ID: '${{ github.run_id }}-${{ github.run_attempt }}' },
    jobs,
  };
  const header = [
    `# Generated by \`ghml pipeline compile --target actions\` from ${inProject(options.projectDir, definition.file)}.`,
    '# Edit the pipeline there and compile again rather than editing this file.',
    '',
  ].join('\n');
  return (
    header + stringify(workflow, { lineWidth: 0, nullStr: '' }).replace(/^(\s*\w+):\s+$/gm, '$1:')
  );
}
