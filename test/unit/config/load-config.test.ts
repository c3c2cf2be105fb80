import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-errors.js';
import { defaultConfig } from '../../../src/config/config-defaults.js';
import type { GhmlConfig } from '../../../src/config/config-types.js';
import { loadConfig, parseConfig, type ConfigFileSystem } from '../../../src/config/load-config.js';
import { describeError, UsageError } from '../../../src/errors/ghml-error.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

const FULL_EXAMPLE = `default_experiment: iris
tracking:
  branch: ghml/runs
  remote: origin
  stdout_metrics: false
  push_timeout: 120s        # or milliseconds as a number
sources:
  params: [params.yaml]
  metrics: [metrics.json, metrics.yaml]
artifacts:
  max_file_size: 1MiB       # or a byte count
  max_total_size: 10MiB
experiments:
  iris:
    objective: accuracy
    metrics:
      accuracy: { direction: max, threshold: 0.5%, precision: 4 }
      loss:     { direction: min, threshold: 0.01 }
registry:
  stages: [dev, staging, prod]
  requires: { prod: staging }
  models:
    iris: { path: model.pkl, experiment: iris, type: sklearn, description: Random forest on iris }
deploy:
  prod: { templates: kserve, namespace: models, context: prod-cluster, image: null }
  '*':  { templates: deployment, namespace: default }
`;

const FULL_EXPECTED: GhmlConfig = {
  file: 'ghml.yml',
  defaultExperiment: 'iris',
  tracking: {
    branch: 'ghml/runs',
    remote: 'origin',
    stdoutMetrics: false,
    pushTimeoutMs: 120_000,
    prBudgetBytes: 64 * 1024 * 1024,
  },
  sources: { paramsFiles: ['params.yaml'], metricsFiles: ['metrics.json', 'metrics.yaml'] },
  artifacts: { maxFileBytes: 1_048_576, maxTotalBytes: 10_485_760 },
  experiments: {
    iris: {
      objective: 'accuracy',
      metrics: {
        accuracy: { direction: 'max', threshold: { kind: 'percent', value: 0.5 }, precision: 4 },
        loss: { direction: 'min', threshold: { kind: 'absolute', value: 0.01 }, precision: 4 },
      },
    },
  },
  registry: {
    stages: ['dev', 'staging', 'prod'],
    requires: { prod: 'staging' },
    models: {
      iris: {
        path: ['model.pkl'],
        experiment: 'iris',
        type: 'sklearn',
        description: 'Random forest on iris',
      },
    },
  },
  deploy: {
    prod: { templates: 'kserve', namespace: 'models', context: 'prod-cluster', image: null },
    '*': { templates: 'deployment', namespace: 'default', context: null, image: null },
  },
};

function configError(text: string): ConfigError {
  try {
    parseConfig(text, 'ghml.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('loadConfig', () => {
  it('returns every default when the repository has no ghml.yml', async () => {
    const dir = tempDir();
    const config = await loadConfig(dir);
    expect(config).toEqual(defaultConfig());
    expect(config.file).toBeNull();
    expect(config.tracking).toEqual({
      branch: 'ghml/runs',
      remote: 'origin',
      stdoutMetrics: false,
      pushTimeoutMs: 120_000,
      prBudgetBytes: 64 * 1024 * 1024,
    });
    expect(config.sources).toEqual({
      paramsFiles: ['params.yaml'],
      metricsFiles: ['metrics.json', 'metrics.yaml'],
    });
    expect(config.artifacts).toEqual({ maxFileBytes: 1_048_576, maxTotalBytes: 10_485_760 });
    expect(config.defaultExperiment).toBe('default');
    expect(config.registry).toEqual({ models: {}, stages: null, requires: {} });
    expect(config.deploy).toEqual({});
  });

  it('reads ghml.yml from the repository root and records its absolute path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ghml.yml'), FULL_EXAMPLE);
    const config = await loadConfig(dir);
    expect(config).toEqual({ ...FULL_EXPECTED, file: join(dir, 'ghml.yml') });
  });

  it('reads ghml.yaml too', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ghml.yaml'), 'default_experiment: mnist\n');
    const config = await loadConfig(dir);
    expect(config.defaultExperiment).toBe('mnist');
    expect(config.file).toBe(join(dir, 'ghml.yaml'));
  });

  it('refuses a repository holding both ghml.yml and ghml.yaml', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ghml.yml'), 'default_experiment: a\n');
    writeFileSync(join(dir, 'ghml.yaml'), 'default_experiment: b\n');
    await expect(loadConfig(dir)).rejects.toThrow(
      /both ghml.yml and ghml.yaml exist at the repository root/,
    );
  });

  it('reports a file name that is a directory as an I/O error, not as defaults', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ghml.yml'));
    await expect(loadConfig(dir)).rejects.toThrow(/EISDIR/);
  });

  it('uses the injected file system', async () => {
    const read: string[] = [];
    const fs: ConfigFileSystem = {
      tryReadText(path) {
        read.push(path);
        return Promise.resolve(
          path.endsWith('ghml.yml') ? 'tracking: { remote: upstream }\n' : undefined,
        );
      },
    };
    const config = await loadConfig('/repo', fs);
    expect(read).toEqual(['/repo/ghml.yml', '/repo/ghml.yaml']);
    expect(config.tracking.remote).toBe('upstream');
    expect(config.file).toBe('/repo/ghml.yml');
  });

  it('throws a ConfigError for a bad file in the repository, with its line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ghml.yml'), 'tracking:\n  branch: "bad name"\n');
    const error = await loadConfig(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^ghml.yml:2:11: tracking.branch/);
  });
});

describe('parseConfig', () => {
  it('reads the full example into the expected settings', () => {
    expect(parseConfig(FULL_EXAMPLE, 'ghml.yml')).toEqual(FULL_EXPECTED);
  });

  it('treats an empty file or a file of comments as all defaults', () => {
    expect(parseConfig('', 'ghml.yml')).toEqual({ ...defaultConfig(), file: 'ghml.yml' });
    expect(parseConfig('# nothing yet\n', 'ghml.yml')).toEqual({
      ...defaultConfig(),
      file: 'ghml.yml',
    });
  });

  it('keeps defaults for the fields a section leaves out', () => {
    const config = parseConfig('tracking:\n  remote: upstream\nartifacts:\n', 'ghml.yml');
    expect(config.tracking).toEqual({
      branch: 'ghml/runs',
      remote: 'upstream',
      stdoutMetrics: false,
      pushTimeoutMs: 120_000,
      prBudgetBytes: 64 * 1024 * 1024,
    });
    expect(config.artifacts.maxTotalBytes).toBe(10_485_760);
  });

  it('accepts the short forms: a single path, a direction, a metric with no settings', () => {
    const config = parseConfig(
      [
        'sources: { params: conf/params.yaml, metrics: [] }',
        'experiments:',
        '  mnist:',
        '    metrics:',
        '      val_loss:',
        '      top5: min',
        '      f1 score: { threshold: "2 %" }',
        '  empty:',
        'registry:',
        '  models:',
        '    mnist: { path: [model.onnx, labels.txt] }',
        'tracking: { push_timeout: 90000, stdout_metrics: true }',
        'artifacts: { max_file_size: 500KB, max_total_size: 2097152 }',
      ].join('\n'),
      'ghml.yml',
    );
    expect(config.sources).toEqual({ paramsFiles: ['conf/params.yaml'], metricsFiles: [] });
    expect(config.experiments['mnist']).toEqual({
      objective: 'val_loss',
      metrics: {
        val_loss: { direction: 'min', threshold: { kind: 'absolute', value: 0 }, precision: 4 },
        top5: { direction: 'min', threshold: { kind: 'absolute', value: 0 }, precision: 4 },
        'f1 score': { direction: 'max', threshold: { kind: 'percent', value: 2 }, precision: 4 },
      },
    });
    expect(config.experiments['empty']).toEqual({ objective: null, metrics: {} });
    expect(config.registry.models['mnist']).toEqual({
      path: ['model.onnx', 'labels.txt'],
      experiment: 'mnist',
      type: null,
      description: null,
    });
    expect(config.tracking.pushTimeoutMs).toBe(90_000);
    expect(config.tracking.stdoutMetrics).toBe(true);
    expect(config.artifacts).toEqual({ maxFileBytes: 500_000, maxTotalBytes: 2_097_152 });
  });

  it('keeps numeric-looking names as written', () => {
    const config = parseConfig('experiments:\n  2024.10:\n    metrics: { 1.50: max }\n', 'x.yml');
    expect(Object.keys(config.experiments)).toEqual(['2024.10']);
    expect(Object.keys(config.experiments['2024.10']?.metrics ?? {})).toEqual(['1.50']);
  });

  it('stores a metric named __proto__ as an ordinary key', () => {
    const config = parseConfig('experiments:\n  a:\n    metrics: { __proto__: min }\n', 'g.yml');
    const metrics = config.experiments['a']?.metrics ?? {};
    expect(Object.getPrototypeOf(metrics)).toBe(Object.prototype);
    expect(Object.hasOwn(metrics, '__proto__')).toBe(true);
  });

  it('follows YAML anchors and aliases', () => {
    const config = parseConfig(
      'experiments:\n  a:\n    metrics: &m { loss: { threshold: 0.1 } }\n  b:\n    metrics: *m\n',
      'ghml.yml',
    );
    expect(config.experiments['b']).toEqual(config.experiments['a']);
  });

  it('refuses documents that expand aliases without bound', () => {
    // 30 experiments sharing 40 metrics that share one setting: 30 + 30 * 40 resolutions.
    const metrics = Array.from({ length: 40 }, (_, i) => `m${i}: *s`).join(', ');
    const lines = ['experiments:', `  e0: &e { metrics: { s0: &s max, ${metrics} } }`];
    for (let i = 1; i < 31; i++) lines.push(`  e${i}: *e`);
    const error = configError(lines.join('\n'));
    expect(error.problems.map((p) => p.message)).toContain(
      'the file uses more than 1000 alias references (*name)',
    );
  });
});

describe('parseConfig errors', () => {
  // [what, yaml, "line:column", message, fix]
  const cases: Array<[string, string, string, RegExp, RegExp]> = [
    [
      'bad direction',
      'experiments:\n  iris:\n    metrics:\n      accuracy:\n        direction: up\n',
      '5:20',
      /^experiments\.iris\.metrics\.accuracy\.direction must be 'max' or 'min', got 'up'$/,
      /direction: max/,
    ],
    [
      'bad direction shorthand',
      'experiments:\n  iris:\n    metrics: { acc: higher }\n',
      '3:21',
      /experiments\.iris\.metrics\.acc must be 'max', 'min' or a mapping .*got 'higher'/,
      /acc: max/,
    ],
    [
      'negative threshold',
      'experiments:\n  iris:\n    metrics:\n      loss: { threshold: -0.1 }\n',
      '4:26',
      /threshold must be a non-negative number or percentage, got -0\.1/,
      /0\.5%/,
    ],
    [
      'threshold with a unit',
      'experiments:\n  iris:\n    metrics:\n      loss: { threshold: 5pp }\n',
      '4:26',
      /got '5pp'/,
      /percentage/,
    ],
    [
      'precision out of range',
      'experiments:\n  iris:\n    metrics:\n      loss: { precision: 2.5 }\n',
      '4:26',
      /precision must be a whole number from 0 to 20, got 2\.5/,
      /whole number/,
    ],
    [
      'bad size',
      'artifacts:\n  max_file_size: 1 MB per file\n',
      '2:18',
      /^artifacts\.max_file_size must be a size, got '1 MB per file'$/,
      /1MiB/,
    ],
    [
      'size unit unknown',
      'artifacts:\n  max_total_size: 10MiBs\n',
      '2:19',
      /artifacts\.max_total_size must be a size/,
      /KiB = 1024/,
    ],
    [
      'bad duration',
      'tracking:\n  push_timeout: 2 minutes\n',
      '2:17',
      /^tracking\.push_timeout must be a positive duration, got '2 minutes'$/,
      /120s/,
    ],
    [
      'bad boolean',
      'tracking:\n  stdout_metrics: yes\n',
      '2:19',
      /tracking\.stdout_metrics must be true or false, got 'yes'/,
      /true or false/,
    ],
    [
      'bad branch',
      'tracking:\n  branch: runs..old\n',
      '2:11',
      /^tracking\.branch must be a valid git branch name, got 'runs\.\.old': it contains '\.\.'$/,
      /check-ref-format/,
    ],
    [
      'branch ending in .lock',
      'tracking:\n  branch: ghml/runs.lock\n',
      '2:11',
      /ends with '\.lock'/,
      /ghml\/runs/,
    ],
    [
      'remote that looks like an option',
      'tracking:\n  remote: --upload-pack=evil\n',
      '2:11',
      /tracking\.remote must be a git remote name, got '--upload-pack=evil': it starts with '-'/,
      /origin/,
    ],
    [
      'section that is not a mapping',
      'tracking: ghml/runs\n',
      '1:11',
      /^tracking must be a mapping \(key: value lines\), got 'ghml\/runs'$/,
      /mapping/,
    ],
    [
      'list where a path is expected',
      'sources:\n  params: { file: p.yaml }\n',
      '2:11',
      /sources\.params must be a list of params files, got a mapping/,
      /list of params files/,
    ],
    [
      'absolute source path',
      'sources:\n  metrics: [ok.json, /etc/shadow]\n',
      '2:22',
      /^sources\.metrics\[1\] must be a path inside the repository, got '\/etc\/shadow': it is absolute$/,
      /relative to the repository root/,
    ],
    [
      'bad experiment name',
      'default_experiment: my experiment\n',
      '1:21',
      /^default_experiment must be a valid experiment name, got 'my experiment'$/,
      /letters, digits/,
    ],
    [
      'experiment name ending in .lock (the tracking branch refuses it)',
      'default_experiment: iris.lock\n',
      '1:21',
      /^default_experiment must be a valid experiment name, got 'iris\.lock'$/,
      /not ending in '\.lock'/,
    ],
    [
      'bad experiment key',
      'experiments:\n  ../up: {}\n',
      '2:3',
      /^experiments\.'\.\.\/up' has an invalid experiment name '\.\.\/up' as its key$/,
      /starting with a letter or digit/,
    ],
    [
      'bad metric key',
      'experiments:\n  a:\n    metrics:\n      "acc:top1": max\n',
      '4:7',
      /invalid metric name 'acc:top1'/,
      /250/,
    ],
    [
      'bad model name',
      'registry:\n  models:\n    iris#1: { path: m.pkl }\n',
      '3:5',
      /registry\.models\.'iris#1' has an invalid model name 'iris#1' as its key/,
      /'-', '_' or '\/'/,
    ],
    [
      'model without path',
      'registry:\n  models:\n    iris: { type: sklearn }\n',
      '3:11',
      /^registry\.models\.iris\.path is required: the file\(s\) to register$/,
      /path: model\.pkl/,
    ],
    [
      'model path escaping the repository',
      'registry:\n  models:\n    iris: { path: ../../secret }\n',
      '3:19',
      /registry\.models\.iris\.path must be a path inside the repository, got '\.\.\/\.\.\/secret'/,
      /model\.pkl/,
    ],
    [
      'model name that cannot be an experiment',
      'registry:\n  models:\n    team/iris: { path: m.pkl }\n',
      '3:16',
      /registry\.models\.'team\/iris'\.experiment is required because the model name 'team\/iris'/,
      /experiment:/,
    ],
    [
      'bad stage',
      'registry:\n  stages: [dev, pre prod]\n',
      '2:17',
      /^registry\.stages\[1\] must be a valid stage name, got 'pre prod'$/,
      /'-' or '_'/,
    ],
    [
      'repeated stage',
      'registry:\n  stages: [dev, dev]\n',
      '2:17',
      /registry\.stages\[1\] repeats the stage 'dev'/,
      /once/,
    ],
    [
      'requires an unlisted stage',
      'registry:\n  stages: [dev, staging, prod]\n  requires: { prod: stagin }\n',
      '3:21',
      /registry\.requires\.prod names the stage 'stagin', which registry\.stages does not list/,
      /did you mean 'staging'\?/,
    ],
    [
      'requirement cycle',
      'registry:\n  requires:\n    a: b\n    b: a\n',
      '3:8',
      /registry\.requires\.a forms a cycle: a -> b -> a/,
      /remove one/,
    ],
    [
      'deploy to an unlisted stage',
      'registry: { stages: [dev, prod] }\ndeploy:\n  prdo: { namespace: x }\n',
      '3:3',
      /^deploy\.prdo names the stage 'prdo', which registry\.stages does not list$/,
      /did you mean 'prod'\?/,
    ],
    [
      'unknown template set',
      'deploy:\n  prod: { templates: kserv }\n',
      '2:22',
      /deploy\.prod\.templates must be 'deployment', 'kserve', 'kserve-mlflow' or a directory path, got 'kserv'/,
      /did you mean 'kserve'\?/,
    ],
    [
      'bad namespace',
      'deploy:\n  "*": { namespace: My_NS }\n',
      '2:21',
      /^deploy\.'\*'\.namespace must be a Kubernetes namespace, got 'My_NS'$/,
      /lowercase/,
    ],
    [
      'context that looks like an option',
      'deploy:\n  prod: { context: --kubeconfig=/tmp/x }\n',
      '2:20',
      /deploy\.prod\.context must be a context name without spaces, not starting with '-'/,
      /get-contexts/,
    ],
    [
      'file that is a list',
      '- tracking\n- sources\n',
      '1:1',
      /^ghml\.yml must be a mapping of settings \(key: value lines\), got a list$/,
      /mapping/,
    ],
  ];

  it.each(cases)('%s', (_what, yaml, position, message, fix) => {
    const error = configError(yaml);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    const problem = error.problems[0];
    expect(`${problem?.line}:${problem?.column}`).toBe(position);
    expect(problem?.message).toMatch(message);
    expect(problem?.fix).toMatch(fix);
    expect(error.message).toBe(`ghml.yml:${position}: ${problem?.message}`);
    expect(error.hint).toBe(problem?.fix);
    expect(`${error.line}:${error.column}`).toBe(position);
    expect(error.file).toBe('ghml.yml');
  });

  it('names the key path of the first problem', () => {
    const error = configError(
      'experiments:\n  iris:\n    metrics:\n      acc: { direction: up }\n',
    );
    expect(error.path).toBe('experiments.iris.metrics.acc.direction');
  });

  it('reports an unknown key at the key, with a suggestion', () => {
    const error = configError('tracking:\n  brnch: main\n');
    expect(error.message).toBe('ghml.yml:2:3: tracking.brnch is not a known setting');
    expect(error.hint).toBe(
      "did you mean 'branch'? Known keys here: branch, remote, stdout_metrics, push_timeout, pr_budget",
    );
  });

  it('suggests the snake_case key for a camelCase one', () => {
    const error = configError('defaultExperiment: iris\n');
    expect(error.hint).toMatch(/^did you mean 'default_experiment'\?/);
  });

  it('lists the known keys without a suggestion when nothing is close', () => {
    const error = configError('experiments:\n  a:\n    metrics: {}\n    colour: red\n');
    expect(error.message).toBe('ghml.yml:4:5: experiments.a.colour is not a known setting');
    expect(error.hint).toBe('remove it, or use a known key: objective, metrics');
  });

  it('gathers every problem, in file order, into one error', () => {
    const error = configError(
      [
        'tracking:',
        '  branch: "a b"',
        'artifacts: { max_file_size: lots }',
        'experiments:',
        '  x:',
        '    metrics: { acc: { direction: up, threshold: big } }',
      ].join('\n'),
    );
    expect(error.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '2:11 tracking.branch',
      '3:29 artifacts.max_file_size',
      '6:34 experiments.x.metrics.acc.direction',
      '6:49 experiments.x.metrics.acc.threshold',
    ]);
    expect(error.message.split('\n')[0]).toBe('ghml.yml has 4 problems:');
    expect(error.message).toContain(
      "  ghml.yml:6:34: experiments.x.metrics.acc.direction must be 'max' or 'min', got 'up'\n    fix: write direction: max",
    );
    expect(describeError(error)).toContain('hint: fix each problem listed above');
  });

  it('reports YAML syntax errors with their line', () => {
    const error = configError('tracking:\n  branch: [main\nsources: {}\n');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^ghml\.yml:3:\d+: ghml\.yml is not valid YAML: /);
    expect(error.hint).toMatch(/YAML syntax/);
  });

  it('reports a duplicate key as a YAML error at the second occurrence', () => {
    const error = configError('default_experiment: a\ndefault_experiment: b\n');
    expect(error.message).toMatch(
      /^ghml\.yml:2:1: ghml\.yml is not valid YAML: Map keys must be unique/,
    );
  });

  it('reports a second YAML document', () => {
    const error = configError('default_experiment: a\n---\ndefault_experiment: b\n');
    expect(error.message).toBe('ghml.yml:2:1: ghml.yml holds more than one YAML document');
  });

  it('refuses a file over 1 MiB', () => {
    const error = configError(`# ${'x'.repeat(1024 * 1024)}\n`);
    expect(error.message).toMatch(/larger than 1048576 bytes/);
  });

  it('escapes control characters and shortens long values it quotes', () => {
    const error = configError(
      `tracking:\n  branch: "a\\u0001b"\ndefault_experiment: "${'y'.repeat(120)} "\n`,
    );
    expect(error.problems[0]?.message).toContain("got 'a\\x01b'");
    expect(error.problems[1]?.message).toContain(`got '${'y'.repeat(57)}...'`);
  });
});

describe('docs/config.md', () => {
  it('has an annotated example that parses', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = parseConfig(example ?? '', 'ghml.yml');
    expect(config.experiments['iris']?.metrics['train_time']?.direction).toBe('min');
    expect(config.experiments['iris']?.metrics['f1 score']?.direction).toBe('max');
    expect(config.registry.models['iris']?.path).toEqual(['model.pkl']);
    expect(config.deploy['*']?.templates).toBe('deployment');
  });
});

describe('registry.asset_urls', () => {
  it("reads 'download' or 'api', and names the line of anything else", () => {
    expect(parseConfig('registry:\n  asset_urls: api\n', 'ghml.yml').registry.assetUrls).toBe(
      'api',
    );
    expect(parseConfig('registry: {}\n', 'ghml.yml').registry.assetUrls).toBeUndefined();
    expect(() => parseConfig('registry:\n  asset_urls: private\n', 'ghml.yml')).toThrow(
      "ghml.yml:2:15: registry.asset_urls must be 'download' or 'api', got 'private'",
    );
  });
});
