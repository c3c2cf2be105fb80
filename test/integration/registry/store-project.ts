/**
 * A project whose runs keep their large files in a real registry, for registry and deploy tests
 * through the built CLI: a bare origin, a repository with `artifacts.store` set, runs recorded
 * by `ghml run` (their files copied into $GHML_ARTIFACTS_DIR, so a file over the branch limit
 * goes to the store), fresh clones with no local cache, and the tag messages and store
 * manifests as git and the registry hold them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseTagMessage, type TagMessage } from '../../../src/registry/tags/tag-message.js';
import { ghmlEnv, runGhml, type GhmlResult } from '../../support/run-ghml.js';
import { commitFile, git, makeBareRemote, makeRepo, tempDir } from '../../support/temp-repo.js';

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

export interface StoreProject {
  origin: string;
  repo: string;
  /** `oci://<host>/<prefix>`, or `none`. */
  store: string;
}

/** A repository with `ghml.yml` (the store, then `extraYml`) pushed to a bare origin. */
export function storeProject(store: string, extraYml = ''): StoreProject {
  const origin = makeBareRemote();
  const repo = makeRepo();
  writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: ${store}\n${extraYml}`);
  git(repo, 'add', 'ghml.yml');
  git(repo, 'commit', '-q', '-m', 'ghml.yml');
  git(repo, 'remote', 'add', 'origin', `file://${origin}`);
  git(repo, 'push', '-q', 'origin', 'main');
  return { origin, repo, store };
}

/** The built CLI in `cwd`, with `env` on top of a clean test environment. */
export function ghml(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<GhmlResult> {
  return runGhml(args, { cwd, env: ghmlEnv(env) });
}

/** A run's record as `ghml run --json` prints it. */
export interface RunJson {
  id: string;
  artifacts: Array<{ path: string; stored: boolean; sha256: string; size: number; uri?: string }>;
}

/**
 * `ghml run` on a new commit of `repo` whose command copies `files` into $GHML_ARTIFACTS_DIR;
 * the run and the commit are pushed to origin.
 */
export async function recordRun(
  project: StoreProject,
  files: Record<string, Buffer>,
  label = 'train',
): Promise<RunJson> {
  const src = tempDir('ghml-run-files-');
  for (const [path, data] of Object.entries(files)) {
    const file = join(src, ...path.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  commitFile(project.repo, 'train.txt', `${label} ${Date.now()} ${Math.random()}\n`, label);
  git(project.repo, 'push', '-q', 'origin', 'main');
  const run = await ghml(
    project.repo,
    ['run', '-e', 'iris', '--json', '--', 'sh', '-c', 'cp -R "$SRC"/. "$GHML_ARTIFACTS_DIR/"'],
    { SRC: src },
  );
  if (run.code !== 0) throw new Error(`ghml run failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as RunJson;
}

/** The parsed message of an annotated tag in `dir` (a work tree or the bare origin). */
export function tagMessage(dir: string, tag: string): TagMessage {
  return parseTagMessage(git(dir, 'tag', '-l', '--format=%(contents)', tag));
}

/** Tag names in `dir`. */
export function tags(dir: string): string[] {
  const out = git(dir, 'tag', '--list');
  return out === '' ? [] : out.split('\n');
}

/** A blob straight from the registry. */
export async function rawBlob(host: string, repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(`http://${host}/v2/${repository}/blobs/${digest}`);
  if (!response.ok) throw new Error(`blob ${digest}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}
