/**
 * Does the artifact store cost a run with no large artifacts anything? The same `ghml run`
 * (a command that writes a 4 KB file into $GHML_ARTIFACTS_DIR and logs two metrics, then the
 * run is committed to the tracking branch, no push) in three repositories, samples
 * interleaved so load drifts hit all three alike:
 *   - `artifacts.store: none`;
 *   - `artifacts.store: oci://<loopback registry>/acme/iris` (Debian's docker-registry, started
 *     here): nothing is over 1 MiB, so nothing may be uploaded and the registry never asked;
 *   - with `--baseline-cli <path>`, the same run by another build (e.g. the last release's
 *     dist/cli.js, which had no store).
 * Target (issue 12): the store setting changes `ghml run`'s time by no more than ± 5%.
 *
 *   npx tsx bench/artifacts/run-overhead-bench.ts [--samples 21] [--baseline-cli <path>]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../../test/support/oci-registry/index.js';
import {
  BENCH_ENV,
  git,
  markdownTable,
  median,
  ms,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
  stringArg,
} from '../support/run-history.js';

const SAMPLES = numberArg('samples', 21);
const BASELINE = stringArg('baseline-cli');
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SCRIPT =
  'head -c 4096 /dev/zero > "$GHML_ARTIFACTS_DIR/small.bin"; echo "loss=0.25 accuracy=0.93"';

function repoWith(storeLine: string | null): string {
  const repo = newBenchRepo();
  if (storeLine !== null) {
    writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: ${storeLine}\n`);
    git(repo, 'add', 'ghml.yml');
    git(repo, 'commit', '-q', '-m', 'ghml.yml');
  }
  return repo;
}

function timeRun(cli: string, repo: string): number {
  const start = performance.now();
  const result = spawnSync(
    process.execPath,
    [cli, 'run', '--no-push', '--stdout-metrics', '--', 'sh', '-c', SCRIPT],
    { cwd: repo, env: { ...BENCH_ENV, GITHUB_ACTIONS: '' }, encoding: 'utf8' },
  );
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(`ghml run failed in ${repo}: ${result.stderr.slice(0, 2000)}`);
  }
  return elapsed;
}

const registry = await startRegistry();
// distribution logs one "response completed" line per HTTP request it answers.
const answered = (): number =>
  registry
    .log()
    .split('\n')
    .filter((l) => l.includes('response completed')).length;
const answeredBefore = answered();
try {
  const none = repoWith('none');
  const store = repoWith(`oci://${registry.host}/acme/iris`);
  const before = BASELINE === undefined ? undefined : repoWith(null);
  const times = { none: [] as number[], store: [] as number[], before: [] as number[] };
  // One warm-up each (page cache, git's first pack).
  timeRun(CLI, none);
  timeRun(CLI, store);
  if (before !== undefined && BASELINE !== undefined) timeRun(BASELINE, before);
  for (let i = 0; i < SAMPLES; i++) {
    times.none.push(timeRun(CLI, none));
    times.store.push(timeRun(CLI, store));
    if (before !== undefined && BASELINE !== undefined)
      times.before.push(timeRun(BASELINE, before));
  }
  const base = median(times.none);
  const rows: string[][] = [
    ['`ghml run`, `artifacts.store: none`', ms(base), '1.00×'],
    [
      '`ghml run`, `artifacts.store: oci://` (loopback registry; nothing over 1 MiB)',
      ms(median(times.store)),
      `${(median(times.store) / base).toFixed(3)}×`,
    ],
  ];
  if (times.before.length > 0) {
    rows.push([
      '`ghml run` by the baseline build (no store setting)',
      ms(median(times.before)),
      `${(median(times.before) / base).toFixed(3)}×`,
    ]);
  }
  console.log(
    markdownTable(['whole process, median of ' + String(SAMPLES), 'time', 'vs store: none'], rows),
  );
  console.log(`\nrequests the registry answered during the runs: ${answered() - answeredBefore}`);
} finally {
  await registry.stop();
  removeBenchDirs();
}
