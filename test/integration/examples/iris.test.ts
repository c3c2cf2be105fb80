/**
 * The iris examples, run for real with `python3` in temp copies of their folders: nothing is
 * ever written into examples/.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLES = join(ROOT, 'examples');
const IRIS = join(EXAMPLES, 'iris');
const SKLEARN = join(EXAMPLES, 'iris-sklearn');
const HELPER_DIR = join(ROOT, 'templates', 'python');
const CONFIG_LOADER = join(ROOT, 'src', 'config', 'load-config.ts');

interface PythonResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without anything ghml sets, so the example runs standalone. */
function standaloneEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('GHML_') || key === 'PYTHONPATH') continue;
    env[key] = value;
  }
  return { ...env, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

function python(args: string[], cwd: string, env = standaloneEnv()): PythonResult {
  const result = spawnSync('python3', args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function copyExample(folder: string): string {
  const dir = tempDir('ghml-example-');
  cpSync(folder, dir, { recursive: true });
  return dir;
}

function train(dir: string, args: string[] = [], env?: NodeJS.ProcessEnv): PythonResult {
  return python(['train.py', ...args], dir, env);
}

function stdoutMetric(stdout: string, key: string): number {
  const match = new RegExp(`^${key}=(\\d+\\.\\d{4})$`, 'm').exec(stdout);
  if (!match?.[1]) throw new Error(`no '${key}=' line in:\n${stdout}`);
  return Number(match[1]);
}

function readMetrics(dir: string): Record<string, number> {
  return JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, number>;
}

function setParams(dir: string, params: Record<string, string>): void {
  const text = Object.entries(params)
    .map(([key, value]) => `${key}: ${value}\n`)
    .join('');
  writeFileSync(join(dir, 'params.yaml'), text);
}

/** Every file under a folder with its size and mtime, to prove the tests never touch it. */
function snapshot(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else out.push(`${relative(folder, full)} ${stat.size} ${stat.mtimeMs}`);
    }
  };
  walk(folder);
  return out;
}

let examplesBefore: string[] = [];

beforeAll(() => {
  const version = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error('python3 is needed to run the iris examples; install Python 3.8 or later');
  }
  examplesBefore = snapshot(EXAMPLES);
});

afterAll(() => {
  cleanupTempDirs();
  expect(snapshot(EXAMPLES)).toEqual(examplesBefore);
});

describe('examples/iris/iris.csv', () => {
  it("is Fisher's 150 flowers, 50 per species, with the well-known column means", () => {
    const [header, ...rows] = readFileSync(join(IRIS, 'iris.csv'), 'utf8').trimEnd().split('\n');
    expect(header).toBe('sepal_length,sepal_width,petal_length,petal_width,species');
    expect(rows).toHaveLength(150);
    const perSpecies = new Map<string, number>();
    const sums = [0, 0, 0, 0];
    for (const row of rows) {
      const fields = row.split(',');
      expect(fields).toHaveLength(5);
      for (let i = 0; i < 4; i++) sums[i] = (sums[i] ?? 0) + Number(fields[i]);
      const species = fields[4] ?? '';
      perSpecies.set(species, (perSpecies.get(species) ?? 0) + 1);
    }
    expect(Object.fromEntries(perSpecies)).toEqual({ setosa: 50, versicolor: 50, virginica: 50 });
    expect(sums.map((sum) => (sum / 150).toFixed(3))).toEqual(['5.843', '3.057', '3.758', '1.199']);
  });
});

describe('examples/iris/train.py standalone', () => {
  it('trains without GHML_EVENTS or ghml_log, prints accuracy and writes metrics.json and model.pkl', () => {
    const dir = copyExample(IRIS);
    const result = train(dir);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.status).toBe(0);

    const accuracy = stdoutMetric(result.stdout, 'accuracy');
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
    expect(accuracy).toBeLessThanOrEqual(1);
    expect(result.stdout).toMatch(/^iris random forest: 10 trees, .* -> accuracy \d\.\d{4}/m);

    const metrics = readMetrics(dir);
    expect(Object.keys(metrics).sort()).toEqual([
      'accuracy',
      'f1_macro',
      'log_loss',
      'train_time_seconds',
    ]);
    expect(metrics.accuracy?.toFixed(4)).toBe(accuracy.toFixed(4));
    expect(metrics.f1_macro?.toFixed(4)).toBe(stdoutMetric(result.stdout, 'f1_macro').toFixed(4));
    expect(metrics.log_loss).toBeGreaterThan(0);
    expect(Number.isFinite(metrics.log_loss)).toBe(true);
    expect(metrics.train_time_seconds).toBeGreaterThanOrEqual(0);
    expect(statSync(join(dir, 'model.pkl')).size).toBeGreaterThan(0);
  });

  it('writes its outputs to --output-dir and finds its inputs next to train.py', () => {
    const dir = copyExample(IRIS);
    const work = tempDir('ghml-example-cwd-');
    const out = join(work, 'out');
    mkdirSync(out);
    const result = python([join(dir, 'train.py'), '--output-dir', out], work);
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'metrics.json'))).toBe(true);
    expect(existsSync(join(out, 'model.pkl'))).toBe(true);
    expect(readdirSync(work)).toEqual(['out']);
  });

  it('is deterministic: the same seed gives the same output and a byte-identical model', () => {
    const first = copyExample(IRIS);
    const second = copyExample(IRIS);
    const a = train(first);
    const b = train(second);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const metricsA = readMetrics(first);
    const metricsB = readMetrics(second);
    delete metricsA.train_time_seconds;
    delete metricsB.train_time_seconds;
    expect(metricsB).toEqual(metricsA);
    expect(readFileSync(join(second, 'model.pkl'))).toEqual(readFileSync(join(first, 'model.pkl')));
  });

  it('gives a different but valid accuracy with different params', () => {
    const base = copyExample(IRIS);
    const changed = copyExample(IRIS);
    setParams(changed, { n_estimators: '50', random_state: '7' });
    const a = train(base);
    const b = train(changed);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/50 trees/);
    const accA = stdoutMetric(a.stdout, 'accuracy');
    const accB = stdoutMetric(b.stdout, 'accuracy');
    expect(accB).not.toBe(accA);
    expect(accB).toBeGreaterThanOrEqual(0.85);
    expect(accB).toBeLessThanOrEqual(1);
    expect(readMetrics(changed).log_loss).not.toBe(readMetrics(base).log_loss);
  });

  it('trains a model predict.py can use', () => {
    const dir = copyExample(IRIS);
    expect(train(dir).status).toBe(0);
    const setosa = python(['predict.py', '5.1', '3.5', '1.4', '0.2'], dir);
    expect(setosa.status).toBe(0);
    expect(setosa.stdout.split('\n')[0]).toBe('setosa');
    const virginica = python(['predict.py', '6.7', '3.0', '5.2', '2.3'], dir);
    expect(virginica.stdout.split('\n')[0]).toBe('virginica');
  });

  it('predict.py explains a missing model', () => {
    const dir = copyExample(IRIS);
    const result = python(['predict.py', '5.1', '3.5', '1.4', '0.2'], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot read model\.pkl: .*run train\.py first/);
  });
});

describe('examples/iris/train.py with bad input', () => {
  /** Runs train.py on a broken input and checks that earlier outputs survive untouched. */
  function expectRejected(dir: string, message: RegExp, args: string[] = []): void {
    writeFileSync(join(dir, 'metrics.json'), '{"accuracy": 0.5}\n');
    writeFileSync(join(dir, 'model.pkl'), 'previous model');
    const result = train(dir, args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.stdout).toBe('');
    expect(readFileSync(join(dir, 'metrics.json'), 'utf8')).toBe('{"accuracy": 0.5}\n');
    expect(readFileSync(join(dir, 'model.pkl'), 'utf8')).toBe('previous model');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }

  it.each([
    [
      'a word for a number',
      'n_estimators: ten\n',
      /params\.yaml:1: n_estimators must be a whole number from 1 to 1000, got 'ten'/,
    ],
    ['a fraction for a count', 'max_depth: 2.5\n', /params\.yaml:1: max_depth must be .*got 2\.5/],
    ['zero trees', '\nn_estimators: 0\n', /params\.yaml:2: n_estimators .*got 0/],
    [
      'a test set larger than half',
      'test_size: 0.9\n',
      /params\.yaml:1: test_size must be a fraction from 0\.05 to 0\.5, got 0\.9/,
    ],
    ['a boolean', 'random_state: true\n', /params\.yaml:1: random_state .*got True/],
    ['min_samples_split below 2', 'min_samples_split: 1\n', /min_samples_split .*got 1/],
    [
      'nested values',
      'train:\n  n_estimators: 10\n',
      /params\.yaml:2: nested values are not supported/,
    ],
    [
      'a key set twice',
      'n_estimators: 10\nn_estimators: 20\n',
      /params\.yaml:2: 'n_estimators' is set twice/,
    ],
    ['a line without a colon', 'n_estimators 10\n', /params\.yaml:1: expected `key: value`/],
  ])('rejects params.yaml with %s, naming the file and line', (_case, text, message) => {
    const dir = copyExample(IRIS);
    writeFileSync(join(dir, 'params.yaml'), text);
    expectRejected(dir, message);
  });

  it('warns about an unknown param and still trains', () => {
    const dir = copyExample(IRIS);
    writeFileSync(join(dir, 'params.yaml'), 'n_estimator: 50\n');
    const result = train(dir);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/params\.yaml:1: unknown param 'n_estimator' ignored/);
    expect(result.stdout).toMatch(/10 trees/);
  });

  it('rejects a data row that is not numbers, naming the line', () => {
    const dir = copyExample(IRIS);
    const lines = readFileSync(join(dir, 'iris.csv'), 'utf8').split('\n');
    lines[4] = '5.0,abc,1.4,0.2,setosa';
    writeFileSync(join(dir, 'iris.csv'), lines.join('\n'));
    expectRejected(dir, /iris\.csv:5: the 4 measurements must be numbers/);
  });

  it('rejects a data row with missing fields and a wrong header', () => {
    const dir = copyExample(IRIS);
    writeFileSync(
      join(dir, 'short.csv'),
      'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5\n',
    );
    expectRejected(dir, /short\.csv:2: expected 5 fields, got 2/, ['--data', 'short.csv']);
    writeFileSync(join(dir, 'headless.csv'), '5.1,3.5,1.4,0.2,setosa\n');
    expectRejected(dir, /headless\.csv:1: expected the header/, ['--data', 'headless.csv']);
  });

  it('rejects measurements that are not finite and a species with a single row', () => {
    const dir = copyExample(IRIS);
    const header = 'sepal_length,sepal_width,petal_length,petal_width,species\n';
    writeFileSync(join(dir, 'nan.csv'), `${header}5.1,nan,1.4,0.2,setosa\n`);
    expectRejected(dir, /nan\.csv:2: the measurements must be finite/, ['--data', 'nan.csv']);
    const rows = readFileSync(join(dir, 'iris.csv'), 'utf8').trimEnd().split('\n').slice(1, 11);
    writeFileSync(
      join(dir, 'lonely.csv'),
      `${header}${rows.join('\n')}\n6.3,3.3,6.0,2.5,virginica\n`,
    );
    expectRejected(dir, /species 'virginica' has only one row/, ['--data', 'lonely.csv']);
  });

  it('rejects a params file that is not UTF-8 text', () => {
    const dir = copyExample(IRIS);
    writeFileSync(join(dir, 'params.yaml'), Buffer.from([0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expectRejected(
      dir,
      /error: params\.yaml: not UTF-8 text \(invalid start byte\); save it as UTF-8/,
    );
  });

  it('rejects a missing data file and a missing output folder', () => {
    const dir = copyExample(IRIS);
    expectRejected(dir, /error: cannot read nope\.csv: No such file or directory/, [
      '--data',
      'nope.csv',
    ]);
    expectRejected(dir, /output folder 'missing' does not exist/, ['--output-dir', 'missing']);
  });
});

describe('examples/iris-sklearn', () => {
  it('compiles with py_compile (scikit-learn is not needed to check it)', () => {
    const dir = copyExample(SKLEARN);
    const result = python(['-m', 'py_compile', 'train.py'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("mirrors the article's code: RandomForestClassifier, train_test_split, accuracy_score, ghml_log", () => {
    const source = readFileSync(join(SKLEARN, 'train.py'), 'utf8');
    expect(source).toMatch(/from sklearn\.ensemble import RandomForestClassifier/);
    expect(source).toMatch(/train_test_split\(\s*X, y, test_size=params\["test_size"\]/);
    expect(source).toMatch(/accuracy_score\(y_test, y_pred\)/);
    expect(source).toMatch(/import ghml_log/);
    expect(source).toMatch(/ghml_log\.log_artifact\("model\.pkl"\)/);
    expect(readFileSync(join(SKLEARN, 'requirements.txt'), 'utf8')).toMatch(/^scikit-learn/m);
    expect(readFileSync(join(SKLEARN, 'params.yaml'), 'utf8')).toMatch(/^n_estimators: 10 /m);
  });
});

describe("the examples' ghml.yml", () => {
  it('loads with the iris experiment, its thresholds and the iris model', async () => {
    // Loaded by path so this file type-checks before src/config exists.
    const { loadConfig } = (await import(pathToFileURL(CONFIG_LOADER).href)) as {
      loadConfig: (root: string) => Promise<{
        defaultExperiment: string;
        experiments: Record<string, { objective: string | null; metrics: Record<string, unknown> }>;
        registry: { models: Record<string, { path: string[]; experiment: string }> };
      }>;
    };
    for (const folder of [IRIS, SKLEARN]) {
      const config = await loadConfig(folder);
      expect(config.defaultExperiment).toBe('iris');
      const iris = config.experiments.iris;
      expect(iris?.objective).toBe('accuracy');
      expect(iris?.metrics.accuracy).toEqual({
        direction: 'max',
        threshold: { kind: 'percent', value: 1 },
        precision: 4,
      });
      expect(iris?.metrics.log_loss).toMatchObject({ direction: 'min' });
      expect(iris?.metrics.f1_macro).toMatchObject({ direction: 'max' });
      expect(config.registry.models.iris).toMatchObject({
        path: ['model.pkl'],
        experiment: 'iris',
      });
    }
  });
});

interface LoggedEvents {
  params: Map<string, string>;
  metrics: { key: string; value: unknown; step: unknown }[];
  artifacts: string[];
}

/** Reads a GHML_EVENTS file, accepting single and batched event shapes. */
function readEvents(path: string): LoggedEvents {
  const logged: LoggedEvents = { params: new Map(), metrics: [], artifacts: [] };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const values = (event.values ?? event.params ?? event.metrics) as
      Record<string, unknown> | undefined;
    switch (event.type) {
      case 'param':
        logged.params.set(String(event.key), String(event.value));
        break;
      case 'params':
        for (const [key, value] of Object.entries(values ?? {}))
          logged.params.set(key, String(value));
        break;
      case 'metric':
        logged.metrics.push({ key: String(event.key), value: event.value, step: event.step });
        break;
      case 'metrics':
        for (const [key, value] of Object.entries(values ?? {}))
          logged.metrics.push({ key, value, step: event.step });
        break;
      case 'metric_batch': {
        const keys = event.keys as string[];
        const batchValues = event.values as unknown[];
        const steps = event.steps as unknown[];
        keys.forEach((key, i) =>
          logged.metrics.push({ key, value: batchValues[i], step: steps[i] }),
        );
        break;
      }
      case 'artifact':
        logged.artifacts.push(String(event.path ?? event.artifact_path ?? ''));
        break;
    }
  }
  return logged;
}

/** A ghml_log with the documented signatures that records every call as a JSON line. */
const RECORDING_STUB = `
import json, os
def _record(*call):
    with open(os.environ["STUB_CALLS"], "a") as handle:
        handle.write(json.dumps(call) + "\\n")
def log_param(key, value): _record("log_param", key, value)
def log_params(params): _record("log_params", params)
def log_metric(key, value, step=None): _record("log_metric", key, value, step)
def log_metrics(metrics, step=None): _record("log_metrics", metrics, step)
def set_tag(key, value): _record("set_tag", key, value)
def log_artifact(local_path, artifact_path=None): _record("log_artifact", local_path, artifact_path)
`;

describe('examples/iris/train.py logging calls', () => {
  it('uses only the documented ghml_log API, with string params and one step per tree count', () => {
    const dir = copyExample(IRIS);
    const stubDir = tempDir('ghml-stub-');
    writeFileSync(join(stubDir, 'ghml_log.py'), RECORDING_STUB);
    const calls = join(stubDir, 'calls.jsonl');
    setParams(dir, { n_estimators: '3', test_size: '0.25' });
    const result = train(dir, [], standaloneEnv({ PYTHONPATH: stubDir, STUB_CALLS: calls }));
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.status).toBe(0);

    const recorded = readFileSync(calls, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown[]);
    const metrics = readMetrics(dir);
    expect(recorded).toEqual([
      [
        'log_params',
        {
          n_estimators: '3',
          max_depth: '5',
          min_samples_split: '2',
          test_size: '0.25',
          random_state: '42',
        },
      ],
      ['set_tag', 'model_type', 'random_forest'],
      ['set_tag', 'framework', 'python-stdlib'],
      ['log_metrics', { accuracy: expect.any(Number), log_loss: expect.any(Number) }, 1],
      ['log_metrics', { accuracy: expect.any(Number), log_loss: expect.any(Number) }, 2],
      ['log_metrics', { accuracy: metrics.accuracy, log_loss: metrics.log_loss }, 3],
      [
        'log_metrics',
        { f1_macro: metrics.f1_macro, train_time_seconds: metrics.train_time_seconds },
        null,
      ],
      ['log_artifact', 'model.pkl', null],
    ]);
  });
});

/** Runs train.py the way `ghml run` does: ghml_log importable, events and artifacts folders set. */
function trainWithGhmlLog(dir: string): {
  result: PythonResult;
  events: string;
  artifacts: string;
} {
  const ghml = tempDir('ghml-events-');
  const events = join(ghml, 'events.jsonl');
  const artifacts = join(ghml, 'artifacts');
  mkdirSync(artifacts);
  const result = train(
    dir,
    [],
    standaloneEnv({
      PYTHONPATH: HELPER_DIR,
      GHML_EVENTS: events,
      GHML_ARTIFACTS_DIR: artifacts,
      GHML_RUN_ID: '01JDQ0Z6Y8K3M4N5P6Q7R8S9T0',
      GHML_EXPERIMENT: 'iris',
    }),
  );
  return { result, events, artifacts };
}

/** The slice of src/tracking/ingest/ingest-run.ts this test uses (imported by path, see below). */
interface IngestRunModule {
  ingestRun(input: {
    run: {
      id: string;
      experiment: string;
      status: 'FINISHED';
      startTime: number;
      endTime: number;
      exitCode: number;
      source: { commit: string; branch: string; dirty: boolean };
      github: null;
    };
    eventsFile: string;
    paramsFiles: string[];
    metricsFiles: string[];
    artifactsDir: string;
    artifactLimits: { maxFileBytes: number; maxTotalBytes: number };
    cwd: string;
  }): Promise<{
    record: {
      params: Record<string, string>;
      tags: Record<string, string>;
      metrics: Record<string, { value: number; step: number; count: number }>;
      artifacts: { path: string; stored: boolean }[];
    };
    warnings: unknown[];
  }>;
}

describe('examples/iris/train.py through ghml_log', () => {
  it('logs the params, the accuracy series per tree count, the final metrics and the model', () => {
    const dir = copyExample(IRIS);
    const { result, events, artifacts } = trainWithGhmlLog(dir);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.status).toBe(0);

    const logged = readEvents(events);
    expect(Object.fromEntries(logged.params)).toEqual({
      n_estimators: '10',
      max_depth: '5',
      min_samples_split: '2',
      test_size: '0.2',
      random_state: '42',
    });
    const accuracy = logged.metrics.filter((m) => m.key === 'accuracy');
    expect(accuracy.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(accuracy.at(-1)?.value).toBe(readMetrics(dir).accuracy);
    expect(logged.metrics.filter((m) => m.key === 'log_loss')).toHaveLength(10);
    expect(logged.metrics.map((m) => m.key)).toEqual(
      expect.arrayContaining(['f1_macro', 'train_time_seconds']),
    );
    expect(logged.artifacts).toEqual(['model.pkl']);
    expect(readFileSync(join(artifacts, 'model.pkl'))).toEqual(
      readFileSync(join(dir, 'model.pkl')),
    );
  });

  const ingestModule = join(ROOT, 'src', 'tracking', 'ingest', 'ingest-run.ts');
  it("becomes a run through ghml's ingestion without a warning, even with params written as 0.20 and 5.0", async () => {
    const dir = copyExample(IRIS);
    setParams(dir, { n_estimators: '12', max_depth: '5.0', test_size: '0.20' });
    const { result, events, artifacts } = trainWithGhmlLog(dir);
    expect(result.status).toBe(0);

    // Loaded by path so this file type-checks whatever state src/tracking is in.
    const { ingestRun } = (await import(pathToFileURL(ingestModule).href)) as IngestRunModule;
    const run = await ingestRun({
      run: {
        id: '01JDQ0Z6Y8K3M4N5P6Q7R8S9T0',
        experiment: 'iris',
        status: 'FINISHED',
        startTime: 1_700_000_000_000,
        endTime: 1_700_000_001_000,
        exitCode: 0,
        source: { commit: 'a'.repeat(40), branch: 'main', dirty: false },
        github: null,
      },
      eventsFile: events,
      paramsFiles: ['params.yaml'],
      metricsFiles: ['metrics.json', 'metrics.yaml'],
      artifactsDir: artifacts,
      artifactLimits: { maxFileBytes: 1024 * 1024, maxTotalBytes: 10 * 1024 * 1024 },
      cwd: dir,
    });
    expect(run.warnings).toEqual([]);
    expect(run.record.params).toEqual({
      n_estimators: '12',
      max_depth: '5.0',
      min_samples_split: '2',
      test_size: '0.20',
      random_state: '42',
    });
    expect(run.record.tags).toMatchObject({ model_type: 'random_forest' });
    const metrics = readMetrics(dir);
    expect(run.record.metrics.accuracy).toMatchObject({ value: metrics.accuracy, step: 12 });
    expect(run.record.metrics.log_loss).toMatchObject({ value: metrics.log_loss, step: 12 });
    expect(run.record.metrics.f1_macro?.value).toBe(metrics.f1_macro);
    expect(run.record.artifacts).toEqual([
      expect.objectContaining({ path: 'model.pkl', stored: true }),
    ]);
  });
});
