/**
 * `ghml runs list`: the name column, `--columns` (text and JSON), and keys named like
 * Object.prototype members, through the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

interface RunJson {
  id: string;
  name: string | null;
  params: Record<string, string>;
  metrics: Record<string, { value: number }>;
  tags: Record<string, string>;
}

let repo: string;
const ids: string[] = [];

async function record(args: string[], stdout: string): Promise<void> {
  const result = await runGhml(
    ['run', '--no-push', '--stdout-metrics', ...args, '--', 'sh', '-c', stdout],
    {
      cwd: repo,
      env: ghmlEnv(),
    },
  );
  expect(result.code, result.stderr).toBe(0);
  ids.push(result.stdout.trim().split('\n').pop() ?? '');
}

beforeAll(async () => {
  repo = makeRepo();
  await record(
    ['-n', 'baseline rf', '-p', 'lr=0.1', '-p', 'toString=a'],
    'echo acc=0.5; echo constructor=1.5',
  );
  await record(['-p', 'lr=0.2', '-p', 'depth=3'], 'echo acc=0.75; echo loss=0.2');
}, 60_000);

async function list(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runGhml(['runs', 'list', '--no-fetch', ...args], { cwd: repo, env: ghmlEnv() });
}

describe('ghml runs list', () => {
  it('shows a NAME column', async () => {
    const result = await list();
    expect(result.code, result.stderr).toBe(0);
    const [header, newest, oldest] = result.stdout.split('\n');
    expect(header).toMatch(/^RUN ID\s+NAME\s+EXPERIMENT\s+STATUS/);
    expect(oldest).toContain('baseline rf');
    expect(newest).toMatch(new RegExp(`^${ids[1]}\\s+-\\s+default`));
  });

  it('--columns shows the named params and metrics, - where a run has none', async () => {
    const result = await list('--columns', 'params.lr,metrics.acc', '--columns', 'params.toString');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/TIME\s+params\.lr\s+metrics\.acc\s+params\.toString$/);
    expect(lines[1]).toMatch(/0\.2\s+0\.7500\s+-$/);
    expect(lines[2]).toMatch(/0\.1\s+0\.5000\s+a$/);
    expect(result.stdout).not.toContain('loss');
  });

  it('--columns with --json keeps only the named params, metrics and tags', async () => {
    const result = await list(
      '--json',
      '--columns',
      'params.depth,metrics.constructor,metrics.acc',
    );
    expect(result.code, result.stderr).toBe(0);
    const runs = JSON.parse(result.stdout) as RunJson[];
    expect(runs.map((r) => [r.name, r.params, Object.keys(r.metrics), r.tags])).toEqual([
      [null, { depth: '3' }, ['acc'], {}],
      ['baseline rf', {}, ['acc', 'constructor'], {}],
    ]);
  });

  it('reads Object.prototype names as plain keys in columns, filters and order-by', async () => {
    const result = await list(
      '--columns',
      'metrics.constructor,params.toString,params.valueOf',
      '--filter',
      "params.toString = 'a'",
      '--order-by',
      'metrics.constructor DESC',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(result.stdout.split('\n')[1]).toMatch(/1\.5000\s+a\s+-$/);
  });

  it('refuses a bad --columns list before reading anything, pointing at the column', async () => {
    const result = await list('--columns', 'params.lr,,metrics.acc');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Invalid --columns at column 11');
    expect(result.stderr).toContain('params.lr,,metrics.acc');
    const unknown = await list('--columns', 'parms.lr');
    expect(unknown.stderr).toContain("unknown field prefix 'parms' (did you mean 'params'?)");
  });
});
