// Runs every benchmark under bench/ one after another and prints their Markdown tables.
// `npm run bench` runs the full sizes (an hour or more: several build 100,000-run histories);
// `npm run bench -- --quick` runs small sizes to check that the benchmarks work.
// Figures go into bench/RESULTS.md by hand, with the command that produced them.
//
// Benchmarks against the last release need its build or its sources:
//   git worktree add --detach /tmp/ghml-format1 365afaf      (dist/ is committed there)
//   npm run bench -- --baseline-cli /tmp/ghml-format1/dist/cli.js --baseline-src /tmp/ghml-format1
// Without them, those comparisons are skipped (and said so).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const option = (name) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};
const baselineCli = option('baseline-cli');
const baselineSrc = option('baseline-src');
const only = option('only');

/**
 * Each benchmark: its file, the arguments of its full and quick runs, and which baseline it
 * needs (`cli`: passed as --baseline-cli when given; `src`: required as --baseline/--base).
 */
const benches = [
  // The tracking branch (issues 2 and 10).
  {
    file: 'bench/tracking/tracking-bench.ts',
    full: [],
    quick: ['--runs', '5000', '--samples', '5'],
  },
  {
    file: 'bench/tracking/storage-bench.ts',
    full: ['--samples', '9'],
    quick: ['--runs', '2000', '--samples', '3', '--growth-runs', '20'],
    baseline: 'cli',
  },
  {
    file: 'bench/tracking/contention-bench.ts',
    full: [],
    quick: ['--runs', '2000', '--writers', '4'],
    baseline: 'cli',
  },
  {
    file: 'bench/tracking/cold-read-bench.ts',
    full: ['--samples', '3'],
    quick: ['--runs', '2000', '--samples', '1'],
    baseline: 'cli',
  },
  { file: 'bench/tracking/append-bench.ts', full: [], quick: ['--samples', '1'] },
  {
    file: 'bench/tracking/big-run-bench.ts',
    full: [],
    quick: ['--points', '100000', '--names', '1000'],
  },
  // Logging (issues 2 and 9).
  { file: 'bench/logging/log-throughput.ts', full: [], quick: ['--points', '100000'] },
  {
    file: 'bench/logging/run-end-to-end.ts',
    full: [],
    quick: ['--points', '100000', '--samples', '1'],
  },
  {
    file: 'bench/logging/ingest-checks-bench.ts',
    full: [],
    quick: ['--points', '100000', '--samples', '1'],
    baseline: 'src',
    baselineFlag: '--baseline',
  },
  {
    file: 'bench/logging/source-files-bench.ts',
    full: [],
    quick: ['--samples', '1'],
    baseline: 'src',
    baselineFlag: '--baseline',
  },
  // Compare (issues 3 and 9).
  {
    file: 'bench/compare/compare-bench.ts',
    full: ['--samples', '9'],
    quick: ['--runs', '10000', '--samples', '5'],
  },
  {
    file: 'bench/compare/own-keys-ab.ts',
    full: [],
    quick: ['--runs', '10', '--samples', '3'],
    baseline: 'src',
    baselineFlag: '--base',
  },
  // The registry, deploy and the action (issues 4–6).
  { file: 'bench/registry/model-list.bench.ts', full: [], quick: ['500', '5000'] },
  {
    file: 'bench/deploy/deploy-bench.ts',
    full: ['--versions', '500', '--other-tags', '10000', '--samples', '10'],
    quick: ['--versions', '50', '--other-tags', '500', '--samples', '3'],
  },
  { file: 'bench/action/cold-start.ts', full: [], quick: ['--samples', '3'] },
  // The artifact store, the MLflow endpoint, pipelines and the report site (issues 12–15).
  { file: 'bench/artifacts/oci-bench.ts', full: [], quick: ['--size-mib', '64', '--samples', '1'] },
  {
    file: 'bench/mlflow/mlflow-bench.ts',
    full: [],
    quick: ['--calls', '1000', '--batches', '5', '--points', '100000'],
  },
  {
    file: 'bench/pipeline/pipeline-bench.ts',
    full: [],
    quick: ['--stages', '20', '--files', '1000', '--samples', '2'],
  },
  {
    file: 'bench/site/site-bench.ts',
    full: [],
    quick: ['--runs', '2000', '--small', '200', '--samples', '1', '--points', '10000'],
  },
];

let failed = 0;
for (const bench of benches) {
  if (!existsSync(bench.file)) continue;
  if (only && !bench.file.includes(only)) continue;
  const args = [...(quick ? bench.quick : bench.full)];
  if (bench.baseline === 'cli' && baselineCli) args.push('--baseline-cli', baselineCli);
  if (bench.baseline === 'src') {
    if (!baselineSrc) {
      console.log(
        `\n## ${bench.file}: skipped (it needs --baseline-src <checkout of the last release>)`,
      );
      continue;
    }
    args.push(bench.baselineFlag, baselineSrc);
  }
  if (bench.baseline === 'cli' && !baselineCli) {
    console.log(`\n(${bench.file}: no --baseline-cli, so format 1 is not measured)`);
  }
  console.log(`\n## npx tsx ${bench.file} ${args.join(' ')}\n`);
  const result = spawnSync('npx', ['tsx', bench.file, ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
