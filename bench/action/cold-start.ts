/**
 * Cold start of the action: `node dist/action.js` started as the runner starts it, reading
 * every input and the event payload (command: deploy with all its inputs, which stops right
 * after reading them). Compared with what an action that installs its packages at run time
 * pays: `npm install` of ghml's runtime dependencies into an empty folder, from the local npm
 * cache (`--prefer-offline`). Also states the bundle size.
 *
 *   npx tsx bench/action/cold-start.ts [--samples 15]
 *
 * Fails (exit 1) when the median start is 300 ms or more.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'dist', 'action.js');
const LIMIT_MS = 300;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? undefined : Number(process.argv[i + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const samples = arg('samples', 15);
const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-action-'));
const eventPath = join(dir, 'event.json');
writeFileSync(
  eventPath,
  JSON.stringify({ inputs: { model: 'iris', stage: 'prod' }, ref: 'refs/heads/main' }),
);
for (const name of ['output', 'state', 'summary']) writeFileSync(join(dir, name), '');

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  GITHUB_ACTIONS: 'true',
  GITHUB_EVENT_NAME: 'workflow_dispatch',
  GITHUB_EVENT_PATH: eventPath,
  GITHUB_OUTPUT: join(dir, 'output'),
  GITHUB_STATE: join(dir, 'state'),
  GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  GITHUB_WORKSPACE: dir,
  GITHUB_REPOSITORY: 'octo-org/iris',
  RUNNER_TEMP: dir,
  INPUT_COMMAND: 'deploy',
  'INPUT_WORKING-DIRECTORY': '.',
  INPUT_TOKEN: 'ghs_BenchToken000000000000000000000000',
  INPUT_MODEL: 'iris',
  INPUT_STAGE: 'prod',
  'INPUT_DRY-RUN': 'false',
  INPUT_TIMEOUT: '300',
  INPUT_MATRIX: 'null',
};

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const starts: number[] = [];
for (let i = 0; i < samples; i++) {
  let output = '';
  starts.push(
    time(() => {
      const result = spawnSync(process.execPath, [BUNDLE], { env, cwd: dir, encoding: 'utf8' });
      output = result.stdout;
    }),
  );
  // It must have read every input and stopped where the deploy first needs a repository.
  if (!output.includes('not a git repository')) throw new Error(`unexpected output: ${output}`);
}
const nodeOnly = median(
  Array.from({ length: 5 }, () => time(() => spawnSync(process.execPath, ['-e', '0']))),
);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const installDir = join(dir, 'install');
mkdirSync(installDir, { recursive: true });
writeFileSync(
  join(installDir, 'package.json'),
  JSON.stringify({
    name: 'bench',
    version: '1.0.0',
    private: true,
    dependencies: pkg.dependencies,
  }),
);
let installOk = true;
const install = time(() => {
  const result = spawnSync(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ],
    {
      cwd: installDir,
      encoding: 'utf8',
    },
  );
  installOk = result.status === 0;
});
rmSync(dir, { recursive: true, force: true });

/** dist/action.js and every chunk it imports statically: what a start loads before any command. */
function loadedAtStart(entry: string): Buffer {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /(?:^|[;\s}])import\s*(?:[^'"();]*?from\s*)?["'](\.{1,2}\/[^"']+)["']/g,
    )) {
      visit(join(dirname(file), match[1] as string));
    }
  };
  visit(entry);
  return Buffer.concat([...seen].map((file) => readFileSync(file)));
}

const bundle = loadedAtStart(BUNDLE);
const start = median(starts);
console.log('| measure | value |');
console.log('| --- | ---: |');
console.log(
  `| dist/action.js start + read inputs (median of ${samples}) | ${start.toFixed(0)} ms |`,
);
console.log(`| bare \`node -e 0\` start (median of 5) | ${nodeOnly.toFixed(0)} ms |`);
console.log(
  `| npm install of the ${Object.keys(pkg.dependencies).length} runtime packages, --prefer-offline${installOk ? '' : ' (FAILED)'} | ${install.toFixed(0)} ms |`,
);
console.log(`| ratio npm install / action start | ${(install / start).toFixed(1)}x |`);
console.log(
  `| dist/action.js and the chunks it loads at start | ${(bundle.length / 1024).toFixed(0)} KiB (${(gzipSync(bundle).length / 1024).toFixed(0)} KiB gzipped) |`,
);
console.log(`| limit | ${start < LIMIT_MS ? 'PASS' : 'FAIL'}: under ${LIMIT_MS} ms |`);
process.exitCode = start < LIMIT_MS ? 0 : 1;
