/**
 * templates/python/ghml_log.py driven by real python3 processes, its output read back by the
 * Node ingestion code.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestRun } from '../../../src/tracking/ingest/ingest-run.js';
import { parseMetricsJsonl } from '../../../src/tracking/ingest/run-builder.js';
import { formatWarning } from '../../../src/tracking/ingest/ingest-warnings.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

const HELPER_DIR = resolve(import.meta.dirname, '../../../templates/python');

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function envFor(dir: string, logging = true): NodeJS.ProcessEnv {
  // No __pycache__ inside templates/python.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: HELPER_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
  };
  delete env.GHML_EVENTS;
  delete env.GHML_ARTIFACTS_DIR;
  if (logging) {
    env.GHML_EVENTS = join(dir, 'events.jsonl');
    env.GHML_ARTIFACTS_DIR = join(dir, 'artifacts');
  }
  return env;
}

/** Runs a Python script; `onLine` sees stdout lines as they come (to send signals). */
function python(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void,
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('python3', ['-c', script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (onLine)
        for (const line of chunk.split('\n')) if (line) onLine(line, (s) => child.kill(s));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

async function ingest(dir: string) {
  return ingestRun({
    run: {
      id: '01JDXYZ0000000000000000000',
      experiment: 'py',
      status: 'FINISHED',
      startTime: 0,
      endTime: 1,
      exitCode: 0,
      source: { commit: 'c'.repeat(40), branch: null, dirty: false },
      github: null,
    },
    eventsFile: join(dir, 'events.jsonl'),
    artifactsDir: join(dir, 'artifacts'),
    artifactLimits: { maxFileBytes: 1 << 20, maxTotalBytes: 1 << 20 },
    maxWarnings: 1000,
  });
}

describe('ghml_log.py', () => {
  it('is a no-op without GHML_EVENTS: no files, no errors', async () => {
    const dir = tempDir('ghml-py-');
    writeFileSync(join(dir, 'model.pkl'), 'm');
    const ran = await python(
      [
        'import ghml_log as g',
        'g.log_param("lr", 0.1); g.log_params({"a": 1}); g.set_tag("t", "v")',
        'g.log_metric("acc", 0.5, step=1); g.log_metrics({"x": 1.0})',
        'print(g.log_artifact("model.pkl"), g.active()); g.flush()',
      ].join('\n'),
      envFor(dir, false),
      dir,
    );
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim()).toBe('[] False');
    expect(readdirSync(dir)).toEqual(['model.pkl']);
  });

  it('validates like MLflow with clear ValueErrors and writes only the valid events', async () => {
    const dir = tempDir('ghml-py-');
    const ran = await python(
      [
        'import ghml_log as g',
        'def attempt(f, *a, **k):',
        '    try:',
        '        f(*a, **k)',
        '    except ValueError as e:',
        '        print(e)',
        'g.log_param("lr", 0.01)',
        'g.log_param("lr", "0.01")',
        'attempt(g.log_param, "lr", 0.02)',
        'attempt(g.log_metric, "acc", "high")',
        'attempt(g.log_metric, "a/../b", 1)',
        'attempt(g.log_metric, "acc", 1, step=1.5)',
        'attempt(g.log_param, "long", "x" * 6001)',
        'attempt(g.set_tag, "t", "y" * 5001)',
        'attempt(g.log_metrics, {"ok": 1, "bad": None})',
        'g.log_metric("acc", 0.5, step=2)',
      ].join('\n'),
      envFor(dir),
      dir,
    );
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim().split('\n')).toEqual([
      "param 'lr' was already logged as '0.01'; params are immutable within a run: log a new key or start a new run",
      "metric 'acc' value must be a number, got 'high' (str)",
      "Invalid metric key 'a/../b': must not contain '..' segments.",
      "metric 'acc' step must be an integer, got 1.5",
      "param 'long' value is 6001 characters; params are at most 6000",
      "tag 't' value is 5001 characters; tags are at most 5000",
      "metric 'bad' value must be a number, got None (NoneType)",
    ]);
    const result = await ingest(dir);
    expect(result.warnings).toEqual([]);
    expect(result.record.params).toEqual({ lr: '0.01' });
    expect(Object.keys(result.record.metrics)).toEqual(['acc']);
    expect(result.record.metrics.acc?.count).toBe(1);
  });

  it('keeps NaN and infinities end to end, and logs artifacts', async () => {
    const dir = tempDir('ghml-py-');
    writeFileSync(join(dir, 'model.pkl'), 'weights');
    const ran = await python(
      [
        'import ghml_log as g',
        'g.log_metric("loss", float("nan"), step=0)',
        'g.log_metric("loss", float("inf"), step=1)',
        'g.log_metrics({"loss": float("-inf"), "acc": 1}, step=2)',
        'print(g.log_artifact("model.pkl", artifact_path="models"))',
      ].join('\n'),
      envFor(dir),
      dir,
    );
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim()).toBe("['models/model.pkl']");
    const result = await ingest(dir);
    expect(result.warnings).toEqual([]);
    expect(result.metricsJsonl.toString()).toContain(
      '{"key":"loss","value":"NaN","step":0,"timestamp":',
    );
    const loss = parseMetricsJsonl(result.metricsJsonl).filter((p) => p.key === 'loss');
    expect(loss.map((p) => p.value)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(result.record.metrics.loss).toMatchObject({
      min: Number.NEGATIVE_INFINITY,
      max: Number.POSITIVE_INFINITY,
    });
    expect(result.record.artifacts).toEqual([
      expect.objectContaining({ path: 'models/model.pkl', size: 7, stored: true }),
    ]);
  });

  it("speaks MLflow's fluent names: start_run, set_tags, log_dict, log_text, log_artifacts", async () => {
    const dir = tempDir('ghml-py-');
    mkdirSync(join(dir, 'out', 'plots'), { recursive: true });
    writeFileSync(join(dir, 'out', 'a.txt'), 'a');
    writeFileSync(join(dir, 'out', 'plots', 'p.svg'), '<svg/>');
    const env = {
      ...envFor(dir),
      GHML_RUN_ID: '01JDXYZ0000000000000000000',
      GHML_EXPERIMENT: 'py',
    };
    const ran = await python(
      [
        'import ghml_log as g',
        'with g.start_run(run_name="baseline", tags={"team": "ml"}) as run:',
        '    print(run.info.run_id, run.info.experiment_name, g.active_run() is run)',
        '    try:',
        '        g.start_run()',
        '    except ValueError as e:',
        '        print(e)',
        '    with g.start_run(nested=True, tags={"fold": "1"}):',
        '        g.log_metric("acc", 0.9, step=0)',
        '    g.set_tags({"model": "rf", "seed": 3})',
        '    print(g.log_dict({"lr": 0.1, "layers": [1, 2]}, "config/params.yaml"))',
        '    print(g.log_text("hello\\n", "notes/readme.txt"))',
        '    print(g.log_artifacts("out", artifact_path="results"))',
        '    try:',
        '        g.log_text("x", "../escape.txt")',
        '    except ValueError as e:',
        '        print(e)',
        'print(g.active_run())',
      ].join('\n'),
      env,
      dir,
    );
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim().split('\n')).toEqual([
      '01JDXYZ0000000000000000000 py True',
      'Run with UUID 01JDXYZ0000000000000000000 is already active. To start a nested run, call start_run with nested=True',
      'config/params.yaml',
      'notes/readme.txt',
      "['results/a.txt', 'results/plots/p.svg']",
      "Invalid artifact path '../escape.txt': must not contain '..' segments.",
      'None',
    ]);
    const result = await ingest(dir);
    expect(result.warnings).toEqual([]);
    expect(result.record.tags).toEqual({
      fold: '1',
      'mlflow.runName': 'baseline',
      model: 'rf',
      seed: '3',
      team: 'ml',
    });
    expect(result.record.artifacts.map((a) => a.path)).toEqual([
      'config/params.yaml',
      'notes/readme.txt',
      'results/a.txt',
      'results/plots/p.svg',
    ]);
    expect(
      JSON.parse(readFileSync(join(dir, 'artifacts', 'config', 'params.yaml'), 'utf8')),
    ).toEqual({
      lr: 0.1,
      layers: [1, 2],
    });
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
    // Without GHML_EVENTS the same calls do nothing.
    const quiet = await python(
      [
        'import ghml_log as g',
        'with g.start_run(run_name="x") as run:',
        '    g.set_tags({"a": 1}); g.log_dict({}, "d.json"); g.log_text("t", "t.txt")',
        '    print(run.info.run_id, g.log_artifacts("out"))',
      ].join('\n'),
      envFor(dir, false),
      dir,
    );
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.trim()).toBe('None []');
  });

  it('loses nothing and tears no line with threads and processes writing at once', async () => {
    const dir = tempDir('ghml-py-');
    const worker = (proc: number): string =>
      [
        'import threading, multiprocessing as mp, ghml_log as g',
        `P = ${proc}`,
        'def work(t, n=3000):',
        '    g.set_tag("p%d/t%d" % (P, t), "x" * 3000)',
        '    for i in range(n):',
        '        g.log_metric("p%d/t%d" % (P, t), i * 0.5, step=i)',
        '        if t % 2 == 0 and i % 97 == 0:',
        '            g.flush()',
        '    g.log_params({"p%d.t%d.%d" % (P, t, j): "v" * 500 for j in range(20)})',
        'def child():',
        '    work(9, 500)',
        'if __name__ == "__main__":',
        '    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]',
        '    for th in threads: th.start()',
        '    proc = mp.get_context("fork").Process(target=child)',
        '    proc.start()',
        '    for th in threads: th.join()',
        '    proc.join()',
        '    assert proc.exitcode == 0, proc.exitcode',
      ].join('\n');
    const runs = await Promise.all([0, 1, 2].map((p) => python(worker(p), envFor(dir), dir)));
    for (const ran of runs) {
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
    }
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').endsWith('\n')).toBe(true);
    const result = await ingest(dir);
    expect(result.warnings.map(formatWarning)).toEqual([]);
    const points = parseMetricsJsonl(result.metricsJsonl);
    const byKey = new Map<string, number[]>();
    for (const p of points) {
      const list = byKey.get(p.key) ?? [];
      list.push(p.step);
      byKey.set(p.key, list);
    }
    const expected = new Map<string, number[]>();
    for (const p of [0, 1, 2]) {
      for (const t of [0, 1, 2, 3]) expected.set(`p${p}/t${t}`, range(3000));
      expected.set(`p${p}/t9`, range(500));
    }
    expect(new Map([...byKey].sort())).toEqual(new Map([...expected].sort()));
    expect(points.every((p) => p.value === p.step * 0.5)).toBe(true);
    expect(Object.keys(result.record.params)).toHaveLength(3 * 5 * 20);
    expect(Object.keys(result.record.tags)).toHaveLength(15);
  });

  it('flushes buffered events on SIGTERM, then dies of SIGTERM', async () => {
    const dir = tempDir('ghml-py-');
    const ran = await python(
      [
        'import sys, time, ghml_log as g',
        'for i in range(500):',
        '    g.log_metric("loss", 1.0 / (i + 1), step=i)',
        'print("ready", flush=True)',
        'time.sleep(30)',
        'print("not killed")',
      ].join('\n'),
      envFor(dir),
      dir,
      (line, kill) => {
        if (line === 'ready') kill('SIGTERM');
      },
    );
    expect(ran.signal).toBe('SIGTERM');
    expect(ran.stdout).not.toContain('not killed');
    const result = await ingest(dir);
    expect(result.warnings).toEqual([]);
    expect(result.record.metrics.loss).toMatchObject({ count: 500, step: 499 });
  });

  it('survives SIGTERM in the middle of logging from several threads: no hole, no duplicate', async () => {
    const dir = tempDir('ghml-py-');
    const ran = await python(
      [
        'import threading, ghml_log as g',
        'def bg():',
        '    i = 0',
        '    while True:',
        '        g.log_metric("bg", i, step=i); i += 1',
        'threading.Thread(target=bg, daemon=True).start()',
        'i = 0',
        'while True:',
        '    g.log_metric("main", i, step=i)',
        '    if i == 20000: print("ready", flush=True)',
        '    i += 1',
      ].join('\n'),
      envFor(dir),
      dir,
      (line, kill) => {
        if (line === 'ready') kill('SIGTERM');
      },
    );
    expect(ran.signal).toBe('SIGTERM');
    const result = await ingest(dir);
    expect(result.warnings).toEqual([]);
    const steps = new Map<string, number[]>();
    for (const p of parseMetricsJsonl(result.metricsJsonl)) {
      const list = steps.get(p.key) ?? [];
      list.push(p.step);
      steps.set(p.key, list);
    }
    const main = steps.get('main') ?? [];
    expect(main.length).toBeGreaterThan(20000);
    expect(main).toEqual(range(main.length));
    const bg = steps.get('bg') ?? [];
    expect(bg).toEqual(range(bg.length));
  });

  it("leaves a program's own SIGTERM handler alone (its exit still flushes via atexit)", async () => {
    const dir = tempDir('ghml-py-');
    const ran = await python(
      [
        'import signal, sys, time',
        'signal.signal(signal.SIGTERM, lambda s, f: sys.exit(3))',
        'import ghml_log as g',
        'g.log_metric("acc", 0.5)',
        'print("ready", flush=True)',
        'time.sleep(30)',
      ].join('\n'),
      envFor(dir),
      dir,
      (line, kill) => {
        if (line === 'ready') kill('SIGTERM');
      },
    );
    expect(ran.code).toBe(3);
    expect((await ingest(dir)).record.metrics.acc?.count).toBe(1);
  });

  it('flushes at normal exit, in fork children, and never writes a buffer twice', async () => {
    const dir = tempDir('ghml-py-');
    const ran = await python(
      [
        'import os, multiprocessing as mp, ghml_log as g',
        'for i in range(10): g.log_metric("parent", i, step=i)',
        'def child():',
        '    for i in range(10): g.log_metric("child", i, step=i)',
        'p = mp.get_context("fork").Process(target=child); p.start(); p.join()',
        'pid = os.fork()',
        'if pid == 0:',
        '    g.log_metric("forked", 1, step=0)',
        '    g.flush()',
        '    os._exit(0)',
        'os.waitpid(pid, 0)',
        'for i in range(10, 20): g.log_metric("parent", i, step=i)',
      ].join('\n'),
      envFor(dir),
      dir,
    );
    expect(ran.stderr).toBe('');
    const result = await ingest(dir);
    expect(result.record.metrics.parent?.count).toBe(20);
    expect(result.record.metrics.child?.count).toBe(10);
    expect(result.record.metrics.forked?.count).toBe(1);
    expect(existsSync(join(dir, 'artifacts'))).toBe(false);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
