/**
 * Pipeline benchmarks (issue 14), whole `ghml` processes on a real repository:
 * 1. a no-op `ghml repro` of a pipeline of `--stages` stages (10 chains of 10 by default) that
 *    depend on `--files` files in all, everything cached, against the cold first hash of the
 *    same tree (the hash state removed) in the same run;
 * 2. `ghml pipeline compile` of that pipeline to both targets (whole process, and in-process);
 * 3. two independent 1 s stages with `-j 2`, against `-j 1`.
 *
 *   npx tsx bench/pipeline/pipeline-bench.ts [--stages 100] [--files 10000] [--samples 5]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compilePipeline } from '../../src/pipeline/compile/compile-pipeline.js';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.js';
import {
  BENCH_ENV,
  git,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
} from '../support/run-history.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const stages = numberArg('stages', 100);
const files = numberArg('files', 10_000);
const samples = numberArg('samples', 5);
const perStage = Math.ceil(files / stages);

function ghml(cwd: string, ...args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...BENCH_ENV, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`ghml ${args.join(' ')} failed:\n${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

function pipelineRepo(): string {
  const dir = newBenchRepo();
  const lines = ['stages:'];
  for (let s = 0; s < stages; s++) {
    const part = `data/part-${String(s).padStart(3, '0')}`;
    mkdirSync(join(dir, part), { recursive: true });
    for (let f = 0; f < perStage; f++) {
      writeFileSync(join(dir, part, `f${f}.txt`), `${s}:${f}:${'x'.repeat(4000)}\n`);
    }
    const deps = [part];
    if (s % 10 !== 0) deps.push(`out/s${s - 1}.txt`);
    lines.push(
      `  s${s}:`,
      `    cmd: mkdir -p out && ls ${part} | wc -l > out/s${s}.txt`,
      `    deps: [${deps.join(', ')}]`,
      `    outs: [out/s${s}.txt]`,
    );
  }
  writeFileSync(join(dir, 'ghml.yml'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, '.gitignore'), 'out/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline');
  return dir;
}

const results: Array<[string, string]> = [];
try {
  const dir = pipelineRepo();
  const first = ghml(dir, 'repro', '-j', '2', '--no-push');
  results.push([
    `first \`ghml repro -j 2\`: ${stages} stages run and recorded (setup, 1 sample)`,
    ms(first),
  ]);
  const state = join(
    execFileSync('git', ['rev-parse', '--absolute-git-dir'], { cwd: dir, encoding: 'utf8' }).trim(),
    'ghml/pipeline/state.json',
  );
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < samples; i++) {
    rmSync(state, { force: true });
    cold.push(ghml(dir, 'repro', '--no-push'));
    warm.push(ghml(dir, 'repro', '--no-push'));
  }
  results.push([
    `cold no-op \`ghml repro\` (hash state removed: ${files} dep files hashed), median of ${samples}`,
    ms(median(cold)),
  ]);
  results.push([
    `**no-op \`ghml repro\`, all cached (hashes reused by size, mtime, inode), median of ${samples}**`,
    `**${ms(median(warm))}**`,
  ]);
  results.push(['ratio cold / no-op', `${(median(cold) / median(warm)).toFixed(1)}×`]);
  const baseline = median(Array.from({ length: samples }, () => ghml(dir, '--version')));
  results.push(['`ghml --version` (process start, for reference)', ms(baseline)]);

  for (const target of ['actions', 'kfp'] as const) {
    const args = [
      'pipeline',
      'compile',
      '--target',
      target,
      ...(target === 'kfp' ? ['--image', 'example/img:1'] : []),
    ];
    const whole = median(Array.from({ length: samples }, () => ghml(dir, ...args)));
    const inProcess = median(
      Array.from({ length: samples }, () => {
        const started = performance.now();
        compilePipeline(loadPipeline(dir), target, { image: 'example/img:1' });
        return performance.now() - started;
      }),
    );
    results.push([
      `**compile --target ${target}** (${stages} stages): load + compile in-process / whole process, median of ${samples}`,
      `**${ms(inProcess)}** / ${ms(whole)}`,
    ]);
  }

  const par = newBenchRepo();
  writeFileSync(
    join(par, 'ghml.yml'),
    'stages:\n  a:\n    cmd: sleep 1 && echo a > a.txt\n    outs: [a.txt]\n  b:\n    cmd: sleep 1 && echo b > b.txt\n    outs: [b.txt]\n',
  );
  git(par, 'add', '-A');
  git(par, 'commit', '-q', '-m', 'two stages');
  const j1 = median(
    Array.from({ length: samples }, () => ghml(par, 'repro', '--force', '--no-push', '-j', '1')),
  );
  const j2 = median(
    Array.from({ length: samples }, () => ghml(par, 'repro', '--force', '--no-push', '-j', '2')),
  );
  results.push([
    `two independent 1 s stages, \`ghml repro --force -j 1\`, median of ${samples}`,
    ms(j1),
  ]);
  results.push([
    `**two independent 1 s stages, \`ghml repro --force -j 2\`**, median of ${samples}`,
    `**${ms(j2)}**`,
  ]);
} finally {
  removeBenchDirs();
}

console.log('| measure | value |');
console.log('| --- | --- |');
for (const [what, value] of results) console.log(`| ${what} | ${value} |`);
