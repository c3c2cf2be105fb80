import { afterAll, describe, expect, it } from 'vitest';
import { NoRunsAtHeadError } from '../../../src/compare/compare-errors.js';
import {
  compareRuns,
  hasRegression,
  type CompareOptions,
} from '../../../src/compare/compare-service.js';
import { ExecGitRunner } from '../../support/exec-git-runner.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { defaultSettings, makeRun, MemoryRunSource } from '../../unit/compare/fixtures.js';

afterAll(cleanupTempDirs);

const dir = makeRepo();
const shas = [git(dir, 'rev-parse', 'HEAD')];
for (let i = 1; i <= 4; i++) shas.push(commitFile(dir, 'train.py', `# v${i}\n`));
const at = (i: number) => shas[i] as string;
const HEAD = at(4);

function options(source: MemoryRunSource, extra: Partial<CompareOptions> = {}): CompareOptions {
  return {
    runSource: source,
    git: new ExecGitRunner(dir),
    settingsLookup: defaultSettings,
    objectiveLookup: () => null,
    remote: 'origin',
    ...extra,
  };
}

const series = (key: string, values: number[]) =>
  values.map((value, step) => ({ key, value, step, timestamp: step }));

describe('compareRuns', () => {
  it('compares head with the PR base: metrics, params, series and status', async () => {
    const base = makeRun({
      commit: at(2),
      metrics: { accuracy: 0.9, loss: 0.3 },
      params: { lr: '0.01', epochs: '10' },
      series: series('loss', [0.9, 0.5, 0.3]),
    });
    const head = makeRun({
      commit: HEAD,
      metrics: { accuracy: 0.8, loss: 0.25, f1: 0.7 },
      params: { lr: '0.1', epochs: '10' },
      series: series('loss', [0.8, 0.4, 0.25]),
    });
    const source = new MemoryRunSource([base, head]);
    const result = await compareRuns(options(source, { prBaseSha: at(2) }));

    expect(result.headCommit).toBe(HEAD);
    expect(result.baseCommit).toBe(at(2));
    expect(result.headSource).toBe('HEAD');
    expect(result.experiments).toHaveLength(1);
    const [experiment] = result.experiments;
    expect(experiment).toMatchObject({
      experiment: 'iris',
      baseline: { kind: 'pr-base', sha: at(2) },
      baseCommit: at(2),
      headCommit: HEAD,
      leaderboard: null,
      status: 'failure',
      missingKeys: [],
    });
    const [run] = experiment?.runs ?? [];
    expect(run?.base?.id).toBe(base.id);
    expect(run?.head.id).toBe(head.id);
    expect(run?.headStatus).toBe('FINISHED');
    expect(run?.metrics.map((m) => [m.key, m.verdict])).toEqual([
      ['accuracy', 'regressed'],
      ['f1', 'new'],
      ['loss', 'improved'],
    ]);
    expect(run?.changedParams).toEqual([{ key: 'lr', base: '0.01', head: '0.1' }]);
    expect(run?.unchangedParamCount).toBe(1);
    expect(run?.allParams).toHaveLength(2);
    expect(run?.series).toEqual([
      {
        key: 'loss',
        base: [
          { step: 0, value: 0.9 },
          { step: 1, value: 0.5 },
          { step: 2, value: 0.3 },
        ],
        head: [
          { step: 0, value: 0.8 },
          { step: 1, value: 0.4 },
          { step: 2, value: 0.25 },
        ],
      },
    ]);
    expect(hasRegression(result)).toBe(true);
  });

  it('is success without regressions, and skips series when asked', async () => {
    const source = new MemoryRunSource([
      makeRun({
        commit: at(3),
        metrics: { accuracy: 0.9 },
        series: series('accuracy', [0.1, 0.9]),
      }),
      makeRun({
        commit: HEAD,
        metrics: { accuracy: 0.95 },
        series: series('accuracy', [0.2, 0.95]),
      }),
    ]);
    const result = await compareRuns(options(source, { series: false }));
    expect(result.experiments[0]?.baseline).toEqual({ kind: 'ancestor', sha: at(3), distance: 1 });
    expect(result.experiments[0]?.status).toBe('success');
    expect(result.experiments[0]?.runs[0]?.series).toEqual([]);
    expect(source.count('readMetrics')).toBe(0);
    expect(hasRegression(result)).toBe(false);
  });

  it('reports head runs as new when there is no baseline', async () => {
    const source = new MemoryRunSource([
      makeRun({ commit: HEAD, metrics: { accuracy: Number.NaN }, params: { lr: '1' } }),
    ]);
    const result = await compareRuns(options(source));
    const [experiment] = result.experiments;
    expect(experiment?.baseline.kind).toBe('none');
    expect(experiment?.baseCommit).toBeNull();
    expect(result.baseCommit).toBeNull();
    expect(experiment?.runs[0]?.base).toBeNull();
    expect(experiment?.runs[0]?.metrics.map((m) => m.verdict)).toEqual(['new']);
    expect(experiment?.runs[0]?.metrics[0]?.head).toBeNaN();
    expect(experiment?.runs[0]?.changedParams).toEqual([]);
    expect(experiment?.status).toBe('success');
  });

  it('throws NoRunsAtHeadError with a hint when head has no runs', async () => {
    const source = new MemoryRunSource([makeRun({ commit: at(3) })]);
    const error = await compareRuns(options(source)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRunsAtHeadError);
    expect((error as NoRunsAtHeadError).message).toContain(HEAD);
    expect((error as NoRunsAtHeadError).hint).toContain(
      'run `ghml run -- <command>` first (or pass --head)',
    );

    const filtered = await compareRuns(
      options(new MemoryRunSource([makeRun({ commit: HEAD, experiment: 'other' })]), {
        experiments: ['iris'],
      }),
    ).catch((e: unknown) => e);
    expect(filtered).toBeInstanceOf(NoRunsAtHeadError);
    expect((filtered as NoRunsAtHeadError).message).toContain("of 'iris'");
  });

  it('names the PR head in the error when HEAD is a merge commit without runs', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '-b', 'feature');
    const prHead = commitFile(repo, 'model.py', 'v2');
    git(repo, 'checkout', '-q', 'main');
    commitFile(repo, 'x.txt', 'x');
    git(repo, 'merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    const source = new MemoryRunSource([makeRun({ commit: prHead })]);
    const error = await compareRuns({ ...options(source), git: new ExecGitRunner(repo) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NoRunsAtHeadError);
    expect((error as NoRunsAtHeadError).hint).toContain(`--head ${prHead}`);

    const ok = await compareRuns({
      ...options(source),
      git: new ExecGitRunner(repo),
      head: prHead,
    });
    expect(ok.headCommit).toBe(prHead);
  });

  it('compares a sweep per matrix key with a leaderboard and missing keys', async () => {
    const run = (commit: string, seed: string, accuracy: number) =>
      makeRun({ commit, matrix: { seed }, metrics: { accuracy }, params: { seed, lr: '0.1' } });
    const source = new MemoryRunSource([
      run(at(2), '1', 0.9),
      run(at(2), '2', 0.9),
      run(at(2), '3', 0.9),
      run(HEAD, '1', 0.95),
      run(HEAD, '2', 0.85),
      run(HEAD, '4', 0.99),
    ]);
    const result = await compareRuns(
      options(source, { prBaseSha: at(2), objectiveLookup: () => 'accuracy' }),
    );
    const [experiment] = result.experiments;
    expect(
      experiment?.runs.map((r) => [r.matrixKey, r.base?.matrixKey ?? null, r.metrics[0]?.verdict]),
    ).toEqual([
      ['seed=1', 'seed=1', 'improved'],
      ['seed=2', 'seed=2', 'regressed'],
      ['seed=4', null, 'new'],
    ]);
    expect(experiment?.missingKeys.map((m) => m.matrixKey)).toEqual(['seed=3']);
    expect(experiment?.leaderboard?.objective).toBe('accuracy');
    expect(experiment?.leaderboard?.rows.map((r) => [r.rank, r.run.matrixKey, r.params])).toEqual([
      [1, 'seed=4', { seed: '4' }],
      [2, 'seed=1', { seed: '1' }],
      [3, 'seed=2', { seed: '2' }],
    ]);
    expect(experiment?.runs[0]?.head.workflowUrl).toBe(
      'https://github.com/acme/ml/actions/runs/42',
    );
    expect(experiment?.status).toBe('failure');
  });

  it('reports a head key whose runs all failed, and fails the status', async () => {
    const source = new MemoryRunSource([
      makeRun({ commit: at(3), metrics: { accuracy: 0.9, loss: 0.3 } }),
      makeRun({ commit: HEAD, status: 'FAILED', metrics: { loss: 0.2 } }),
    ]);
    const result = await compareRuns(options(source));
    const [run] = result.experiments[0]?.runs ?? [];
    expect(run?.headStatus).toBe('FAILED');
    expect(run?.metrics.map((m) => [m.key, m.verdict])).toEqual([
      ['accuracy', 'missing'],
      ['loss', 'improved'],
    ]);
    expect(result.experiments[0]?.status).toBe('failure');
    expect(hasRegression(result)).toBe(true);

    const lenient = await compareRuns(options(source, { includeUnfinished: true }));
    expect(lenient.experiments[0]?.status).toBe('success');
  });

  it('compares several experiments, each with its own baseline, at a cost independent of history', async () => {
    const history = Array.from({ length: 200 }, (_, i) =>
      makeRun({ commit: `${String(i).padStart(4, '0')}${'0'.repeat(36)}`, metrics: { a: i } }),
    );
    const source = new MemoryRunSource([
      ...history,
      makeRun({ commit: at(1), experiment: 'iris', metrics: { acc: 0.5 } }),
      makeRun({ commit: at(3), experiment: 'wine', metrics: { acc: 0.5 } }),
      makeRun({ commit: HEAD, experiment: 'wine', metrics: { acc: 0.6 } }),
      makeRun({ commit: HEAD, experiment: 'iris', metrics: { acc: 0.4 } }),
    ]);
    const result = await compareRuns(options(source));
    expect(result.experiments.map((e) => [e.experiment, e.baseCommit, e.status])).toEqual([
      ['iris', at(1), 'failure'],
      ['wine', at(3), 'success'],
    ]);
    expect(result.baseCommit).toBe(at(1));
    expect(source.count('runsAtCommit')).toBe(3); // head once, then one base commit per experiment
    expect(source.count('commitsWithRuns')).toBe(2);
    expect(source.count('findRun')).toBe(0);
    const runner = new ExecGitRunner(dir);
    await compareRuns({
      ...options(new MemoryRunSource(source.runs)),
      git: runner,
      experiments: ['wine', 'iris'],
    });
    expect(runner.calls.filter((args) => args[0] === 'rev-list')).toHaveLength(1);
  });

  it('keeps the requested experiment order and drops requested experiments without head runs', async () => {
    const source = new MemoryRunSource([
      makeRun({ commit: HEAD, experiment: 'b' }),
      makeRun({ commit: HEAD, experiment: 'a' }),
    ]);
    const result = await compareRuns(options(source, { experiments: ['b', 'zzz', 'a', 'b'] }));
    expect(result.experiments.map((e) => e.experiment)).toEqual(['b', 'a']);
  });

  it('compares against a pinned --base run for every matrix key', async () => {
    const pinned = makeRun({ commit: at(1), metrics: { accuracy: 0.9 } });
    const source = new MemoryRunSource([
      pinned,
      makeRun({ commit: at(1), metrics: { accuracy: 0.1 } }),
      makeRun({ commit: HEAD, matrix: { s: '1' }, metrics: { accuracy: 0.95 } }),
      makeRun({ commit: HEAD, matrix: { s: '2' }, metrics: { accuracy: 0.85 } }),
    ]);
    const result = await compareRuns(options(source, { base: pinned.id }));
    const [experiment] = result.experiments;
    expect(experiment?.baseline).toEqual({ kind: 'explicit', ref: pinned.id });
    expect(experiment?.runs.map((r) => [r.base?.id, r.metrics[0]?.verdict])).toEqual([
      [pinned.id, 'improved'],
      [pinned.id, 'regressed'],
    ]);
  });
});
