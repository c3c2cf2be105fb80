/**
 * `ghml demo`, the README's first command: the whole local tour, with no GitHub and no network,
 * then its pipeline step (examples/iris-pipeline in a second repository: dag, repro, status
 * after a param change, repro again, compile).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, GHML_CLI, runGhml, type GhmlResult } from '../support/run-ghml.js';
import { cleanupTempDirs, git, tempDir } from '../support/temp-repo.js';

afterAll(cleanupTempDirs);

/** One demo for the tests that read its output: it is the slowest command there is. */
let demo: Promise<{ dir: string; result: GhmlResult }> | undefined;
function runDemo(): Promise<{ dir: string; result: GhmlResult }> {
  demo ??= (async () => {
    const dir = join(tempDir(), 'demo');
    // No git identity at all, as on a fresh laptop: the demo must still commit.
    const env = ghmlEnv({
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
      HOME: tempDir(),
      // The pipeline step's repository goes to a new temp folder: this one, removed after.
      TMPDIR: tempDir(),
    });
    return { dir, result: await runGhml(['demo', dir], { cwd: tempDir(), env }) };
  })();
  return demo;
}

describe('ghml demo', () => {
  it('trains twice, lists, compares, registers, promotes and renders the deploy', async () => {
    const { dir, result } = await runDemo();
    expect(result.code, result.stderr).toBe(0);

    // Two runs, then the register and promote events recorded on the second run.
    const subjects = git(dir, 'log', '--format=%s', 'ghml/runs').split('\n');
    expect(subjects.filter((s) => s.startsWith('run '))).toHaveLength(2);
    expect(subjects).toHaveLength(4);
    expect(result.stdout).toMatch(/\| n\\_estimators \| 10 \| 50 \|/);
    expect(result.stdout).toMatch(/log_loss\s+1\.2296\s+0\.1430/);
    expect(git(dir, 'tag', '--list')).toBe('iris#prod#1\niris@v0.0.1');
    expect(git(dir, 'cat-file', '-t', 'iris@v0.0.1')).toBe('tag');
    expect(result.stdout).toContain('versions:   iris@v0.0.1 (prod)');
    expect(result.stdout).toContain('kind: Deployment');
    expect(result.stderr).toContain('$ ghml deploy iris --stage prod --dry-run');
  });

  it('runs the pipeline: every stage, then after a param change only the stages it reaches, each a run', async () => {
    const { result } = await runDemo();
    expect(result.code, result.stderr).toBe(0);
    const pipelineDir = /8\. Pipelines \(DVC's stage format, in (.+?)\): /.exec(result.stderr)?.[1];
    expect(pipelineDir).toBeDefined();
    const dir = pipelineDir as string;

    const step = result.stderr.slice(result.stderr.indexOf('8. Pipelines'));
    const [first, second] = step.split('$ ghml repro\n').slice(1);
    expect(result.stdout).toContain('prepare\ntrain     <- prepare\nevaluate  <- prepare, train\n');
    for (const stage of ['prepare', 'train', 'evaluate'])
      expect(first).toContain(`Stage '${stage}': done (never ran)`);
    expect(first).toContain('3 stages (3 ran)');
    // The status after n_estimators changed names it, in dvc status words.
    expect(result.stdout).toContain(
      'train:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tmodified:           n_estimators\n',
    );
    expect(second).toContain("Stage 'prepare': up to date, skipped");
    expect(second).toContain(
      "Stage 'train': done (changed params: params.yaml:n_estimators (modified))",
    );
    expect(second).toContain("Stage 'evaluate': done (changed deps: model/model.pkl (modified))");
    expect(second).toContain('3 stages (1 skipped, 2 ran)');
    expect(existsSync(join(dir, 'pipeline.yml'))).toBe(true);

    // Five stage runs on the pipeline repository's tracking branch, in two pipeline runs.
    const runs = JSON.parse(
      execFileSync(process.execPath, [GHML_CLI, 'runs', 'list', '--json'], {
        cwd: dir,
        env: ghmlEnv(),
        encoding: 'utf8',
      }),
    ) as Array<{ status: string; startTime: number; tags: Record<string, string> }>;
    runs.sort((a, b) => a.startTime - b.startTime);
    expect(runs.map((r) => r.tags['ghml.pipeline.stage'])).toEqual([
      'prepare',
      'train',
      'evaluate',
      'train',
      'evaluate',
    ]);
    expect(runs.every((r) => r.status === 'FINISHED')).toBe(true);
    expect(new Set(runs.map((r) => r.tags['ghml.pipeline.run_id'])).size).toBe(2);
  });

  it('refuses a folder that is not empty', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    const result = await runGhml(['demo', dir], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not empty/);
  });
});
