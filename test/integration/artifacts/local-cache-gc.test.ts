/**
 * `ghml gc --local` with the built CLI and the real registry: the local content cache loses the
 * copies it no longer needs (a file already uploaded, the leftover of an abandoned run, an old
 * pipeline output), and keeps every file that is still the only copy (pending uploads, a run
 * recorded with no store, what ghml.lock names, anything from the last hour).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { cleanupTempDirs, git, makeBareRemote, makeRepo } from '../../support/temp-repo.js';

let registry: RunningRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function ghml(cwd: string, ...args: string[]) {
  return runGhml(args, { cwd, env: ghmlEnv() });
}

function cacheDir(repo: string): string {
  return join(repo, '.git', 'ghml', 'objects');
}

function cached(repo: string): string[] {
  const root = cacheDir(repo);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((shard) => readdirSync(join(root, shard)).map((name) => shard + name))
    .filter((name) => /^[0-9a-f]{64}$/.test(name))
    .sort();
}

/** Dates every cached object two hours back, past the one-hour grace period. */
function age(repo: string): void {
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  for (const name of cached(repo)) {
    utimesSync(join(cacheDir(repo), name.slice(0, 2), name.slice(2)), old, old);
  }
}

function setStore(repo: string, store: string): void {
  writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: ${store}\n  max_file_size: 1KiB\n`);
}

async function recordRun(repo: string, data: Buffer, name: string): Promise<string> {
  writeFileSync(join(repo, name), data);
  const run = await ghml(
    repo,
    'run',
    '--json',
    '--',
    'sh',
    '-c',
    `cp ${name} "$GHML_ARTIFACTS_DIR/"`,
  );
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { id: string }).id;
}

describe('ghml gc --local', () => {
  it('removes copies nothing needs and keeps every only copy', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    setStore(repo, `oci://${registry.host}/acme/gc`);
    git(repo, 'add', 'ghml.yml');
    git(repo, 'commit', '-q', '-m', 'store');
    git(repo, 'push', '-q', 'origin', 'main');

    // 1. Uploaded to the store: the cache copy is redundant.
    const uploaded = randomBytes(20_000);
    const uploadedRun = await recordRun(repo, uploaded, 'uploaded.bin');
    // 2. Recorded with no store: the cache holds the only copy.
    setStore(repo, 'none');
    const onlyHere = randomBytes(20_000);
    await recordRun(repo, onlyHere, 'only-here.bin');
    // 3. Pending: the registry is down when the run ends.
    setStore(repo, `oci://${registry.host}/acme/gc`);
    await registry.kill();
    const pending = randomBytes(20_000);
    await recordRun(repo, pending, 'pending.bin');
    // 4. A leftover no run names (what an abandoned open run's files become).
    const orphan = randomBytes(5_000);
    mkdirSync(join(cacheDir(repo), sha(orphan).slice(0, 2)), { recursive: true });
    writeFileSync(join(cacheDir(repo), sha(orphan).slice(0, 2), sha(orphan).slice(2)), orphan);
    // 5. Written just now: kept whatever it is.
    const fresh = randomBytes(5_000);

    const everything = [sha(uploaded), sha(onlyHere), sha(pending), sha(orphan)];
    for (const hash of everything) expect(cached(repo)).toContain(hash);
    age(repo);
    mkdirSync(join(cacheDir(repo), sha(fresh).slice(0, 2)), { recursive: true });
    writeFileSync(join(cacheDir(repo), sha(fresh).slice(0, 2), sha(fresh).slice(2)), fresh);

    const dry = await ghml(repo, 'gc', '--local', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { removed: Array<{ sha256: string }>; dryRun: boolean };
    expect(plan.dryRun).toBe(true);
    expect(plan.removed.map((r) => r.sha256).sort()).toEqual([sha(uploaded), sha(orphan)].sort());
    expect(cached(repo)).toContain(sha(orphan));

    const real = await ghml(repo, 'gc', '--local');
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^removed 2 object\(s\)/);
    expect(cached(repo)).toEqual([sha(onlyHere), sha(pending), sha(fresh)].sort());

    // Nothing was lost: the pending file still goes up, the uploaded one comes from the store.
    await registry.restart();
    const pushed = await ghml(repo, 'push');
    expect(pushed.code, pushed.stderr).toBe(0);
    const got = await ghml(repo, 'runs', 'get', uploadedRun, '-o', 'out', '--json');
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      files: [{ path: 'uploaded.bin', from: `oci://${registry.host}/acme/gc` }],
    });
  });

  it('prunes nothing while a pending upload record cannot be read, and names it', async () => {
    const repo = makeRepo();
    const orphan = randomBytes(5_000);
    mkdirSync(join(cacheDir(repo), sha(orphan).slice(0, 2)), { recursive: true });
    writeFileSync(join(cacheDir(repo), sha(orphan).slice(0, 2), sha(orphan).slice(2)), orphan);
    age(repo);
    mkdirSync(join(repo, '.git', 'ghml', 'pending'), { recursive: true });
    writeFileSync(
      join(repo, '.git', 'ghml', 'pending', '01J00000000000000000000000.json'),
      '{"version": 1, "runId": ',
    );
    const result = await ghml(repo, 'gc', '--local');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pending upload record');
    expect(result.stderr).toContain('01J00000000000000000000000.json');
    expect(cached(repo)).toEqual([sha(orphan)]);
  });
});
