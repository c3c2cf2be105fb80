/**
 * `ghml model list` with 500, 5,000 and 50,000 registry tags next to 10,000 unrelated tags.
 * Target: < 300 ms at 5,000, for the whole process.
 *
 * Whole process: `node dist/cli.js model list --json` (run `npm run build` first), next to the
 * floor every tag registry pays, `git for-each-ref` printing the tags' messages (what GTO's
 * `gto show` reads through GitPython), and, with `--baseline-cli <path>`, another build of
 * ghml (e.g. the last release's dist/cli.js). In process: the read and the state build alone.
 *
 *   npx tsx bench/registry/model-list.bench.ts            (all sizes)
 *   npx tsx bench/registry/model-list.bench.ts 500 5000   (chosen sizes)
 *   npx tsx bench/registry/model-list.bench.ts 5000 --baseline-cli /tmp/ghml-v0/dist/cli.js
 *
 * Tags are written with `git fast-import` (annotated tag objects) and packed with
 * `git pack-refs --all`, as a fresh clone would have them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readRegistry, readTagRecords } from '../../src/registry/registry-reader.js';
import { buildRegistryState } from '../../src/registry/registry-state.js';
import { formatTagMessage } from '../../src/registry/tags/tag-message.js';
import { ExecGitRunner } from '../../test/integration/registry/support.js';

const UNRELATED = 10_000;
const COMMITS = 200;
const RUNS = 5;

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  });
}

function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/** A repository with COMMITS commits, `registryTags` registry tags and UNRELATED other tags. */
function makeRepo(registryTags: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-registry-'));
  git(dir, ['init', '-q', '-b', 'main']);
  const parts: string[] = [];
  const t0 = 1_700_000_000;
  for (let i = 1; i <= COMMITS; i++) {
    parts.push(
      `commit refs/heads/main\nmark :${i}\ncommitter Bench <bench@example.com> ${t0 + i} +0000\n`,
      data(`commit ${i}`),
      i > 1 ? `from :${i - 1}\n` : '',
      `M 644 inline model.txt\n`,
      data(`model ${i}`),
      '\n',
    );
  }
  // Models of 50 versions each: every version registered, most promoted, a few deregistered.
  let made = 0;
  for (let m = 0; made < registryTags; m++) {
    const model = m % 3 === 0 ? `team${m % 7}/model-${m}` : `model-${m}`;
    let counter = 0;
    for (let v = 1; v <= 50 && made < registryTags; v++) {
      const mark = ((m * 50 + v) % COMMITS) + 1;
      const when = t0 + 10_000 + m * 1000 + v * 10;
      const events: [string, string][] = [
        [
          `${model}@v1.${v}.0`,
          formatTagMessage(`Register ${model} v1.${v}.0`, {
            runId: `run${m}-${v}`,
            metrics: { acc: 0.5 + v / 100 },
          }),
        ],
      ];
      if (v % 2 === 0)
        events.push([
          `${model}#staging#${++counter}`,
          formatTagMessage('promote', { version: `v1.${v}.0`, stage: 'staging' }),
        ]);
      if (v % 5 === 0)
        events.push([
          `${model}#prod#${++counter}`,
          formatTagMessage('promote', { version: `v1.${v}.0`, stage: 'prod' }),
        ]);
      if (v % 17 === 0) events.push([`${model}@v1.${v}.0!`, 'Deregister\n']);
      for (const [k, [tag, message]] of events.entries()) {
        if (made >= registryTags) break;
        parts.push(
          `tag ${tag}\nfrom :${mark}\ntagger Bench <bench@example.com> ${when + k} +0000\n`,
          data(message),
        );
        made++;
      }
    }
  }
  for (let i = 0; i < UNRELATED; i++) {
    const mark = (i % COMMITS) + 1;
    parts.push(
      `tag build/${i}\nfrom :${mark}\ntagger Bench <bench@example.com> ${t0 + i} +0000\n`,
      data(`build ${i}`),
    );
  }
  git(dir, ['fast-import', '--quiet'], parts.join(''));
  git(dir, ['pack-refs', '--all']);
  return dir;
}

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Median wall time of a whole child process, in ms (one warm-up run first). */
function processMs(cwd: string, command: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    execFileSync(command, args, {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
      maxBuffer: 1 << 30,
    });
    if (i > 0) times.push(performance.now() - start);
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function bench(size: number): Promise<void> {
  const setupStart = performance.now();
  const dir = makeRepo(size);
  const setupMs = performance.now() - setupStart;
  try {
    const runner = new ExecGitRunner(dir);
    const total: number[] = [];
    const readOnly: number[] = [];
    const buildOnly: number[] = [];
    let models = 0;
    await readRegistry(runner); // warm the page cache
    for (let i = 0; i < RUNS; i++) {
      const a = performance.now();
      const state = await readRegistry(runner);
      total.push(performance.now() - a);
      models = state.models.length;
      const b = performance.now();
      const records = await readTagRecords(runner);
      const c = performance.now();
      buildRegistryState(records);
      buildOnly.push(performance.now() - c);
      readOnly.push(c - b);
    }
    const ghml = processMs(dir, process.execPath, [CLI, 'model', 'list', '--json']);
    const floor = processMs(dir, 'git', [
      'for-each-ref',
      '--format=%(refname) %(taggerdate:unix) %(contents)',
      'refs/tags',
    ]);
    const other =
      baselineCli === undefined
        ? undefined
        : processMs(dir, process.execPath, [baselineCli, 'model', 'list', '--json']);
    console.log(
      `${String(size).padStart(6)} registry tags + ${UNRELATED} unrelated | models ${String(models).padStart(4)} | ` +
        `ghml model list --json ${ghml.toFixed(0)} ms (git for-each-ref alone ${floor.toFixed(0)} ms, ` +
        `${(ghml / floor).toFixed(1)}×` +
        (other === undefined
          ? ''
          : `; baseline CLI ${other.toFixed(0)} ms, ${(ghml / other).toFixed(2)}×`) +
        `) | in process ${median(total).toFixed(0)} ms ` +
        `(for-each-ref+parse ${median(readOnly).toFixed(0)} ms, build ${median(buildOnly).toFixed(0)} ms) | setup ${(setupMs / 1000).toFixed(1)} s`,
    );
  } finally {
    if (process.env['KEEP_BENCH_REPO'] === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

const argv = process.argv.slice(2);
const baselineAt = argv.indexOf('--baseline-cli');
const baselineCli = baselineAt >= 0 ? argv[baselineAt + 1] : undefined;
const sizes = argv
  .filter((_, i) => baselineAt < 0 || (i !== baselineAt && i !== baselineAt + 1))
  .map(Number)
  .filter((n) => n > 0);
for (const size of sizes.length > 0 ? sizes : [500, 5_000, 50_000]) await bench(size);
