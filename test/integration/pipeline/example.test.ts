/**
 * examples/iris-pipeline reuses the iris example's code and data unchanged, and runs as a
 * pipeline: a second repro after a param change reruns only what depends on it, and
 * `ghml compare` shows the train stage's run in experiment iris.
 */
import { cpSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, git, makeRepo } from '../../support/temp-repo.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../examples');
afterAll(() => cleanupTempDirs());

describe('examples/iris-pipeline', () => {
  it.each(['iris.csv', 'train.py', 'predict.py'])('%s is the iris example’s, linked', (file) => {
    expect(readlinkSync(join(EXAMPLES, 'iris-pipeline', file))).toBe(`../iris/${file}`);
  });

  it('reruns only the stages a param change reaches, and compares the train runs', async () => {
    const dir = makeRepo();
    cpSync(join(EXAMPLES, 'iris-pipeline'), dir, { recursive: true, dereference: true });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'pipeline');
    const first = await runGhml(['repro'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('3 stages (3 ran)');

    const params = join(dir, 'params.yaml');
    writeFileSync(
      params,
      readFileSync(params, 'utf8').replace('n_estimators: 10', 'n_estimators: 50'),
    );
    git(dir, 'commit', '-q', '-am', 'more trees');
    const status = await runGhml(['status'], { cwd: dir });
    expect(status.stdout).toContain(
      'train:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tmodified:           n_estimators',
    );
    const second = await runGhml(['repro'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("Stage 'prepare': up to date, skipped");
    expect(second.stderr).toContain('3 stages (1 skipped, 2 ran)');

    const compare = await runGhml(['compare', '--experiment', 'iris', '--format', 'md'], {
      cwd: dir,
    });
    expect(compare.code, compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(/\| n\\_estimators \| 10 \| 50 \|/);
    expect(compare.stdout).toContain('accuracy');
  });
});
