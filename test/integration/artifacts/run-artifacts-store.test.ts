/**
 * Large files of runs through the real registry, end to end with the built CLI: `ghml run`
 * uploads what does not fit on the branch, run.json names the run's manifest, a fresh clone gets
 * the files back sha256-checked, an unreachable store queues them for `ghml push`, `ghml gc`
 * removes only deleted runs' manifests, and a pipeline restores a large output from the store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';

let registry: RunningRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});

function repoWithStore(store: string): { origin: string; repo: string } {
  const origin = makeBareRemote();
  const repo = makeRepo();
  writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: ${store}\n  max_file_size: 1KiB\n`);
  git(repo, 'add', 'ghml.yml');
  git(repo, 'commit', '-q', '-m', 'store');
  git(repo, 'remote', 'add', 'origin', `file://${origin}`);
  git(repo, 'push', '-q', 'origin', 'main');
  return { origin, repo };
}

async function ghml(cwd: string, ...args: string[]) {
  return runGhml(args, { cwd, env: ghmlEnv() });
}

describe('large run files in the artifact store', () => {
  it('are uploaded by ghml run, named in run.json, and fetched back in a fresh clone', async () => {
    const { origin, repo } = repoWithStore(`oci://${registry.host}/acme/iris`);
    const model = randomBytes(300_000);
    writeFileSync(join(repo, 'model.bin'), model);
    const run = await ghml(
      repo,
      'run',
      '--json',
      '--',
      'sh',
      '-c',
      'cp model.bin "$GHML_ARTIFACTS_DIR/"',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('warning');
    const record = JSON.parse(run.stdout) as {
      id: string;
      artifacts: Array<{ path: string; stored: boolean; uri?: string }>;
    };
    expect(record.artifacts).toEqual([
      expect.objectContaining({
        path: 'model.bin',
        stored: false,
        uri: expect.stringMatching(
          /^oci:\/\/127\.0\.0\.1:\d+\/acme\/iris\/runs@sha256:[0-9a-f]{64}#model\.bin$/,
        ),
      }),
    ]);
    const clone = cloneRepo(origin, ['--depth', '1']);
    const got = await ghml(clone, 'runs', 'get', record.id, '-o', 'out', '--json');
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      files: [{ path: 'model.bin', from: `oci://${registry.host}/acme/iris` }],
    });
    expect(readFileSync(join(clone, 'out', 'model.bin')).equals(model)).toBe(true);
  });

  it('wait in the local cache while the store is down, and ghml push uploads them', async () => {
    const own = await startRegistry();
    try {
      const { origin, repo } = repoWithStore(`oci://${own.host}/acme/iris`);
      await own.kill();
      const model = randomBytes(5000);
      writeFileSync(join(repo, 'model.bin'), model);
      const run = await ghml(
        repo,
        'run',
        '--json',
        '--',
        'sh',
        '-c',
        'cp model.bin "$GHML_ARTIFACTS_DIR/"',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/warning: .*ghml push/);
      const id = (JSON.parse(run.stdout) as { id: string }).id;
      // The run itself is on the branch already; only its large file waits.
      const early = await ghml(cloneRepo(origin), 'runs', 'get', id, '-o', 'out');
      expect(early.code).toBe(1);
      await own.restart();
      const pushed = await ghml(repo, 'push', '--json');
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ artifacts: { uploaded: [id] } });
      const clone = cloneRepo(origin);
      const got = await ghml(clone, 'runs', 'get', id, '-o', 'out');
      expect(got.code, got.stderr).toBe(0);
      expect(readFileSync(join(clone, 'out', 'model.bin')).equals(model)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('ghml gc removes the manifests of deleted runs only', async () => {
    const { repo } = repoWithStore(`oci://${registry.host}/acme/gc`);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      writeFileSync(join(repo, 'model.bin'), randomBytes(4000));
      const run = await ghml(
        repo,
        'run',
        '--json',
        '--',
        'sh',
        '-c',
        'cp model.bin "$GHML_ARTIFACTS_DIR/"',
      );
      ids.push((JSON.parse(run.stdout) as { id: string }).id);
    }
    await ghml(repo, 'runs', 'delete', ids[0] as string);
    const plan = await ghml(repo, 'gc', '--dry-run', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    expect(
      (JSON.parse(plan.stdout) as { candidates: Array<{ runId: string }> }).candidates.map(
        (c) => c.runId,
      ),
    ).toEqual([ids[0]]);
    const done = await ghml(repo, 'gc');
    expect(done.stdout).toContain(`removed acme/gc/runs:${ids[0]}`);
    expect((await ghml(repo, 'gc', '--dry-run')).stdout).toContain('nothing to remove');
    const kept = await ghml(repo, 'runs', 'get', ids[1] as string, '-o', 'kept');
    expect(kept.code, kept.stderr).toBe(0);
  });

  it('restores a large pipeline output from the store in a fresh clone', async () => {
    const { origin, repo } = repoWithStore(`oci://${registry.host}/acme/pipe`);
    writeFileSync(
      join(repo, 'ghml.yml'),
      [
        'artifacts:',
        `  store: oci://${registry.host}/acme/pipe`,
        '  max_file_size: 1KiB',
        'stages:',
        '  make:',
        '    cmd: head -c 200000 /dev/urandom > big.bin',
        '    outs: [big.bin]',
        '',
      ].join('\n'),
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'pipeline');
    git(repo, 'push', '-q', 'origin', 'main');
    const first = await ghml(repo, 'repro');
    expect(first.code, first.stderr).toBe(0);
    const made = readFileSync(join(repo, 'big.bin'));
    const clone = cloneRepo(origin, ['--depth', '1']);
    const again = await ghml(clone, 'repro');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("Stage 'make': restored");
    expect(existsSync(join(clone, 'big.bin'))).toBe(true);
    expect(readFileSync(join(clone, 'big.bin')).equals(made)).toBe(true);
  });
});
