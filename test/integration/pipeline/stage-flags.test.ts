/**
 * The stage flags DVC defines, as `ghml repro` and `ghml status` apply them on real git
 * repositories through the built CLI: `frozen` (never run, even when its deps change or with
 * --force; status leaves its deps out and says so), `always_changed` (runs on every repro,
 * never from the run cache), `persist: true` (the output is not deleted before the command
 * runs, and the stage never uses the run cache) and `cache: false` (the output is not saved to
 * the cache nor kept out of git, so a deleted one makes the stage run again).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, GHML_CLI, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, git, makeRepo } from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

function repo(definition: string, files: Record<string, string>): string {
  const dir = makeRepo();
  for (const [name, text] of Object.entries({ 'ghml.yml': definition, ...files }))
    writeFileSync(join(dir, name), text);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline');
  return dir;
}

async function ghml(dir: string, ...args: string[]) {
  return runGhml(args, { cwd: dir });
}

/** The stage names of the recorded runs, oldest first. */
function stageRuns(dir: string): string[] {
  const out = execFileSync(process.execPath, [GHML_CLI, 'runs', 'list', '--json'], {
    cwd: dir,
    env: ghmlEnv(),
    encoding: 'utf8',
  });
  return (JSON.parse(out) as Array<{ tags: Record<string, string>; startTime: number }>)
    .sort((a, b) => a.startTime - b.startTime)
    .map((r) => r.tags['ghml.pipeline.stage'] ?? '');
}

function inLocalCache(dir: string, text: string): boolean {
  const sha = createHash('sha256').update(text).digest('hex');
  return existsSync(join(dir, '.git', 'ghml', 'objects', sha.slice(0, 2), sha.slice(2)));
}

const read = (dir: string, name: string): string => readFileSync(join(dir, name), 'utf8');

describe('frozen', () => {
  const FROZEN = [
    'stages:',
    '  copy:',
    '    cmd: cp in.txt out.txt',
    '    deps: [in.txt]',
    '    outs: [out.txt]',
    '  shout:',
    '    cmd: tr a-z A-Z < out.txt > loud.txt',
    '    deps: [out.txt]',
    '    outs: [loud.txt]',
    '',
  ].join('\n');

  it('is never run, even when its deps change or with --force, and status says it is frozen', async () => {
    const dir = repo(FROZEN, { 'in.txt': 'one\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    expect(stageRuns(dir)).toEqual(['copy', 'shout']);

    writeFileSync(
      join(dir, 'ghml.yml'),
      FROZEN.replace('  copy:\n', '  copy:\n    frozen: true\n'),
    );
    writeFileSync(join(dir, 'in.txt'), 'two\n');

    // As `dvc status` does: a frozen stage's deps are not checked, and a warning says so.
    const status = await ghml(dir, 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.trim()).toBe('Data and pipelines are up to date.');
    expect(status.stderr).toContain("stage 'copy' is frozen: its dependencies are not checked");
    expect((await ghml(dir, 'status', '--json')).stdout.trim()).toBe('{}');

    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Stage 'copy': skipped (frozen, not checked)");
    expect(result.stderr).toContain("Stage 'shout': up to date, skipped");
    expect(result.stderr).not.toContain('Running stage');
    expect(read(dir, 'out.txt')).toBe('one\n');

    const forced = await ghml(dir, 'repro', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain("Stage 'copy': skipped (frozen, not checked)");
    expect(forced.stderr).not.toContain("Running stage 'copy'");
    expect(read(dir, 'out.txt')).toBe('one\n');
    // --force ran only the stage that is not frozen.
    expect(stageRuns(dir)).toEqual(['copy', 'shout', 'shout']);

    // Unfrozen, the changed dep makes it run.
    writeFileSync(join(dir, 'ghml.yml'), FROZEN);
    expect((await ghml(dir, 'status', '--json')).stdout).toContain('"in.txt": "modified"');
    const thawed = await ghml(dir, 'repro');
    expect(thawed.code, thawed.stderr).toBe(0);
    expect(read(dir, 'loud.txt')).toBe('TWO\n');
  });

  it('gets its deleted outputs back from the cache instead of running', async () => {
    const dir = repo(FROZEN, { 'in.txt': 'one\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    writeFileSync(
      join(dir, 'ghml.yml'),
      FROZEN.replace('  copy:\n', '  copy:\n    frozen: true\n'),
    );
    writeFileSync(join(dir, 'in.txt'), 'two\n');
    rmSync(join(dir, 'out.txt'));
    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Stage 'copy': skipped (frozen; restored its outputs");
    expect(read(dir, 'out.txt')).toBe('one\n');
    expect(stageRuns(dir)).toEqual(['copy', 'shout']);
  });
});

describe('always_changed', () => {
  const ALWAYS = [
    'stages:',
    '  fetch:',
    '    cmd: cat source.txt > copy.txt',
    '    deps: [source.txt]',
    '    outs: [copy.txt]',
    '    always_changed: true',
    '  use:',
    '    cmd: wc -c < copy.txt > size.txt',
    '    deps: [copy.txt]',
    '    outs: [size.txt]',
    '',
  ].join('\n');

  it('runs on every repro, and its dependents only when its output changed', async () => {
    const dir = repo(ALWAYS, { 'source.txt': 'abc\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    expect(stageRuns(dir)).toEqual(['fetch', 'use']);

    const status = await ghml(dir, 'status');
    expect(status.stdout).toBe('fetch:\n\talways changed\n');

    // Nothing changed, yet it runs (never restored from the run cache); its output is the
    // same, so the stage using it is skipped.
    const second = await ghml(dir, 'repro');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("Stage 'fetch': done (always changed)");
    expect(second.stderr).toContain("Stage 'use': up to date, skipped");
    expect(stageRuns(dir)).toEqual(['fetch', 'use', 'fetch']);

    // It reads something its deps do not show (the point of always_changed): the new content
    // reaches the next stage.
    writeFileSync(
      join(dir, 'ghml.yml'),
      ALWAYS.replace('cat source.txt', 'cat source.txt extra.txt'),
    );
    writeFileSync(join(dir, 'extra.txt'), 'defg\n');
    const third = await ghml(dir, 'repro');
    expect(third.code, third.stderr).toBe(0);
    expect(read(dir, 'size.txt').trim()).toBe('9');
    expect(stageRuns(dir)).toEqual(['fetch', 'use', 'fetch', 'fetch', 'use']);
  });
});

describe('persist', () => {
  const PERSIST = [
    'stages:',
    '  append:',
    '    cmd: cat n.txt >> log.txt',
    '    deps: [n.txt]',
    '    outs:',
    '      - log.txt: {persist: true}',
    '',
  ].join('\n');

  it('keeps the output in place while the command runs, so the command can append to it', async () => {
    const dir = repo(PERSIST, { 'n.txt': '1\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    writeFileSync(join(dir, 'n.txt'), '2\n');
    expect((await ghml(dir, 'repro')).code).toBe(0);
    expect(read(dir, 'log.txt')).toBe('1\n2\n');

    // Without persist the output is deleted first, as DVC does: only the last line is left.
    writeFileSync(join(dir, 'ghml.yml'), PERSIST.replace(': {persist: true}', ''));
    writeFileSync(join(dir, 'n.txt'), '3\n');
    expect((await ghml(dir, 'repro')).code).toBe(0);
    expect(read(dir, 'log.txt')).toBe('3\n');
  });

  it('never takes the output from the run cache: it depends on what was there before', async () => {
    const dir = repo(PERSIST, { 'n.txt': '1\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    writeFileSync(join(dir, 'n.txt'), '2\n');
    expect((await ghml(dir, 'repro')).code).toBe(0);
    // The inputs are those of the first run again: a run cache hit would put back '1\n'.
    writeFileSync(join(dir, 'n.txt'), '1\n');
    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Running stage 'append'");
    expect(read(dir, 'log.txt')).toBe('1\n2\n1\n');
    expect(stageRuns(dir)).toEqual(['append', 'append', 'append']);
  });
});

describe('cache: false', () => {
  const UNCACHED = [
    'stages:',
    '  report:',
    '    cmd: cat in.txt in.txt > report.txt && cat in.txt > cached.txt',
    '    deps: [in.txt]',
    '    outs:',
    '      - report.txt: {cache: false}',
    '      - cached.txt',
    '',
  ].join('\n');

  it('is not saved to the cache nor restored from it: deleted, the stage runs again', async () => {
    const dir = repo(UNCACHED, { 'in.txt': 'x\n' });
    expect((await ghml(dir, 'repro')).code).toBe(0);
    expect(inLocalCache(dir, 'x\n')).toBe(true);
    expect(inLocalCache(dir, 'x\nx\n')).toBe(false);
    // Git keeps it, as DVC leaves uncached outputs to git: only the cached one is ignored.
    expect(read(dir, '.gitignore')).toBe('/cached.txt\n');
    const lock = JSON.parse(read(dir, 'ghml.lock')) as {
      stages: { report: { outs: Array<{ path: string; cache: boolean }> } };
    };
    expect(lock.stages.report.outs.map((o) => [o.path, o.cache])).toEqual([
      ['report.txt', false],
      ['cached.txt', true],
    ]);
    // Up to date while it is in place (an uncached output is never 'not in cache').
    expect((await ghml(dir, 'status')).stdout.trim()).toBe('Data and pipelines are up to date.');

    rmSync(join(dir, 'report.txt'));
    expect((await ghml(dir, 'status')).stdout).toContain('deleted:            report.txt');
    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Running stage 'report'");
    expect(read(dir, 'report.txt')).toBe('x\nx\n');
    expect(stageRuns(dir)).toEqual(['report', 'report']);
    expect(inLocalCache(dir, 'x\nx\n')).toBe(false);

    // A deleted cached output, by contrast, comes back from the cache.
    rmSync(join(dir, 'cached.txt'));
    const restored = await ghml(dir, 'repro');
    expect(restored.stderr).toContain("Stage 'report': restored");
    expect(stageRuns(dir)).toEqual(['report', 'report']);
  });
});
