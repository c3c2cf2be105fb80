/**
 * The action once through @github/local-action, GitHub's own local runner for JavaScript
 * actions: it reads action.yml, fills the INPUT_* variables from a .env file, and runs
 * src/action/main.ts with its own @actions/core stand-in.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../support/run-ghml.js';
import { cleanupTempDirs, makeRepo, tempDir } from '../support/temp-repo.js';
import { ROOT } from './support/action-runner.js';

afterAll(cleanupTempDirs);

describe('@github/local-action', () => {
  it('runs command: run and records the run', async () => {
    const repo = makeRepo();
    const envFile = join(tempDir(), '.env');
    writeFileSync(
      envFile,
      [
        'INPUT_COMMAND=run',
        'INPUT_TRAIN=echo accuracy=0.5',
        'INPUT_STDOUT-METRICS=true',
        'INPUT_PUSH=false',
        'INPUT_WORKING-DIRECTORY=.',
        `GITHUB_WORKSPACE=${repo}`,
        'GITHUB_ACTIONS=true',
        'GITHUB_REPOSITORY=octo-org/iris',
        'GITHUB_EVENT_NAME=workflow_dispatch',
        '',
      ].join('\n'),
    );
    const bin = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');
    const result = spawnSync(process.execPath, [bin, 'run', ROOT, 'src/action/main.ts', envFile], {
      cwd: ROOT,
      env: ghmlEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const runId = /'run-id'\s*│\s*'([0-9A-Z]{26})'/.exec(result.stdout)?.[1];
    expect(runId).toBeDefined();

    const shown = await runGhml(['runs', 'show', runId ?? '', '--json', '--no-fetch'], {
      cwd: repo,
    });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: runId,
      status: 'FINISHED',
      metrics: { accuracy: { value: 0.5 } },
    });
  });
});
