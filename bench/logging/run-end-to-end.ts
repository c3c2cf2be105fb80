/**
 * End to end: a Python script logs N metric points through ghml_log.py inside
 * `ghml run --no-push`, and ghml records them on the tracking branch (events parsed, record
 * built, metrics.jsonl and run.json committed). Baseline in the same run: the same script with
 * GHML_EVENTS unset (ghml_log is then a no-op), i.e. the cost of the training loop itself.
 *
 *   npx tsx bench/logging/run-end-to-end.ts [--points 1000000] [--samples 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const POINTS = arg('points', 1_000_000);
const SAMPLES = arg('samples', 3);
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const helper = join(root, 'templates', 'python');

const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-e2e-'));
const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
git('init', '-q', '-b', 'main');
git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init');
writeFileSync(
  join(dir, 'train.py'),
  [
    'import ghml_log',
    `for i in range(${Math.floor(POINTS / 4)}):`,
    '    ghml_log.log_metric("loss", 1.0 / (i + 1), step=i)',
    '    ghml_log.log_metric("accuracy", i / 1000.0, step=i)',
    '    ghml_log.log_metric("lr", 0.01, step=i)',
    '    ghml_log.log_metric("grad_norm", 0.5, step=i)',
    '',
  ].join('\n'),
);

function time(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.toString()}`);
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
delete env.GHML_EVENTS;
delete env.NODE_OPTIONS;

const loop: number[] = [];
const recorded: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  loop.push(time('python3', ['train.py'], { ...env, PYTHONPATH: helper }));
  recorded.push(
    time(process.execPath, [cli, 'run', '--no-push', '--', 'python3', 'train.py'], env),
  );
}
const runs = git('rev-list', '--count', 'ghml/runs').trim();
rmSync(dir, { recursive: true, force: true });

console.log(`| measure (${POINTS.toLocaleString('en')} points, median of ${SAMPLES}) | seconds |`);
console.log('| --- | --- |');
console.log(`| training loop alone (ghml_log a no-op) | ${median(loop).toFixed(2)} |`);
console.log(
  `| \`ghml run\`: loop + logging + ingest + commit to the tracking branch | ${median(recorded).toFixed(2)} |`,
);
console.log(`| target | < 5 |`);
console.log(`\n(${runs} commits on ghml/runs after ${SAMPLES} recorded runs)`);
