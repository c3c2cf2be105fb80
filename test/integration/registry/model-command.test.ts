import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { buildProgram } from '../../../src/cli/program.js';
import { createGit } from '../../../src/git/git.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { cleanupTempDirs, commitFile, git, makeRepo, tempDir } from '../../support/temp-repo.js';
import { sampleInput } from '../tracking/fixtures/sample-run.js';

afterAll(cleanupTempDirs);

async function ghml(cwd: string, ...args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    color: false,
    interactive: false,
  };
  const context = { io, env: {}, cwd, setExitCode: () => undefined };
  const program = await buildProgram(context, '0.0.0-test');
  await program.parseAsync(['node', 'ghml', ...args]);
  return { out: out.join('\n'), err: err.join('\n') };
}

async function repoWithRun(): Promise<{ dir: string; runId: string }> {
  const dir = makeRepo();
  commitFile(
    dir,
    'ghml.yml',
    'registry:\n  stages: [staging, prod]\n  models:\n    iris:\n      path: model.pkl\n',
  );
  const g = await createGit(dir);
  const store = openTrackingStore(g, (await loadConfig(dir)).tracking);
  const file = join(tempDir(), 'model.pkl');
  writeFileSync(file, 'forest');
  const input = sampleInput(git(dir, 'rev-parse', 'HEAD'));
  input.record.artifacts = [
    {
      path: 'model.pkl',
      size: 6,
      sha256: createHash('sha256').update('forest').digest('hex'),
      stored: true,
    },
  ];
  input.artifacts = [{ path: 'model.pkl', file }];
  await store.writeRun(input);
  return { dir, runId: input.record.id };
}

describe('ghml model', () => {
  it('registers, promotes, lists, shows, resolves and downloads on a local repository', async () => {
    const { dir, runId } = await repoWithRun();
    const registered = await ghml(dir, 'model', 'register', 'iris', '--bump', 'minor');
    expect(registered.out).toMatch(
      new RegExp(`^Registered iris@v0.0.1 on [0-9a-f]{12} from run ${runId} \\(local only\\)$`),
    );
    expect(registered.err).toContain('no GitHub release');

    await ghml(dir, 'model', 'promote', 'iris', 'latest', 'staging');
    const list = await ghml(dir, 'model', 'list');
    expect(list.out.split('\n')).toEqual([
      'model  latest  staging  prod',
      'iris   v0.0.1  v0.0.1   -',
    ]);

    const json = JSON.parse((await ghml(dir, 'model', 'list', '--json')).out) as unknown;
    expect(json).toMatchObject({
      models: [{ model: 'iris', latest: 'v0.0.1', stages: { staging: 'v0.0.1' } }],
    });

    const show = await ghml(dir, 'model', 'show', 'iris');
    expect(show.out).toContain('Stage staging: v0.0.1');
    expect(show.out).toContain('Test User <test@example.com>');

    const which = await ghml(dir, 'model', 'which', 'iris#staging', '--json');
    expect(JSON.parse(which.out)).toMatchObject({ model: 'iris', version: 'v0.0.1' });

    const out = tempDir();
    const get = await ghml(dir, 'model', 'get', 'iris#staging', '-o', out);
    expect(get.out).toContain('from the tracking branch');
    expect(readFileSync(join(out, 'model.pkl'), 'utf8')).toBe('forest');
  });

  it('warns about an unadopted lightweight tag, naming --adopt', async () => {
    const { dir } = await repoWithRun();
    git(dir, 'tag', 'iris@v1.0.0');
    const list = await ghml(dir, 'model', 'list');
    // Not counted: no latest version until it is adopted.
    expect(list.out.split('\n')[1]).toBe('iris   -       -        -');
    expect(list.err).toContain("run 'ghml model register --adopt iris@v1.0.0' to adopt it");

    const adopted = await ghml(dir, 'model', 'register', '--adopt', 'iris@v1.0.0', '--no-release');
    expect(adopted.out).toMatch(/^Adopted iris@v1.0.0 on/);
    expect(git(dir, 'cat-file', '-t', 'refs/tags/iris@v1.0.0')).toBe('tag');
  });

  it('refuses bad arguments clearly', async () => {
    const { dir } = await repoWithRun();
    await expect(ghml(dir, 'model', 'register', 'iris', '--bump', 'huge')).rejects.toThrow(
      "Invalid --bump 'huge'",
    );
    await expect(ghml(dir, 'model', 'register')).rejects.toThrow('needs a model name');
    await expect(ghml(dir, 'model', 'promote', 'iris', 'latest', 'qa')).rejects.toThrow(
      "Stage 'qa' is not allowed",
    );
    expect(git(dir, 'tag', '--list')).toBe('');
  });
});
