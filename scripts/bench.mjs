// Runs every benchmark under bench/ one after another and prints their Markdown tables.
// `npm run bench` runs the full sizes (several minutes); `npm run bench -- --quick` runs small
// sizes to check that the benchmarks work. Figures go into bench/RESULTS.md by hand.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const quick = process.argv.includes('--quick');

/** Each benchmark: its file and the arguments of its full and quick runs. */
const benches = [
  {
    file: 'bench/tracking/tracking-bench.ts',
    full: [],
    quick: ['--runs', '5000', '--commits', '50', '--samples', '5'],
  },
  { file: 'bench/logging/log-throughput.ts', full: [], quick: ['--points', '100000'] },
  {
    file: 'bench/logging/run-end-to-end.ts',
    full: [],
    quick: ['--points', '100000', '--samples', '1'],
  },
  { file: 'bench/registry/model-list.bench.ts', full: [], quick: ['500', '5000'] },
  {
    file: 'bench/tracking/runs-list-bench.ts',
    full: ['--samples', '3'],
    quick: ['--runs', '10000', '--commits', '100', '--samples', '3'],
  },
  {
    file: 'bench/compare/compare-bench.ts',
    full: ['--samples', '9'],
    quick: ['--runs', '10000', '--commits', '100', '--samples', '5'],
  },
  {
    file: 'bench/deploy/deploy-bench.ts',
    full: ['--versions', '500', '--other-tags', '10000', '--samples', '10'],
    quick: ['--versions', '50', '--other-tags', '500', '--samples', '3'],
  },
  { file: 'bench/action/cold-start.ts', full: [], quick: ['--samples', '3'] },
];

let failed = 0;
for (const bench of benches) {
  if (!existsSync(bench.file)) continue;
  const args = quick ? bench.quick : bench.full;
  console.log(`\n## ${bench.file} ${args.join(' ')}\n`);
  const result = spawnSync('npx', ['tsx', bench.file, ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
