/**
 * Releases of versions whose files are in the artifact store, end to end with the built CLI,
 * the real registry and the GitHub REST emulator: a file's release asset is streamed from the
 * store (the registering clone has no copy), a run folder (an MLflow-like `model/`) is
 * registered whole with a deterministic `model.tar.gz` asset, and `ghml model get` writes the
 * file or unpacks the folder from the release, or from the store when there is no release.
 * A `.tar.gz` holding `..`, an absolute path or a link is refused by the archive reader.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractModelArchive } from '../../../src/registry/releases/model-archive-reader.js';
import { ModelDownloadError } from '../../../src/registry/releases/release-errors.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { rawManifest } from '../../support/oci-registry/store-fixture.js';
import { cleanupTempDirs, cloneRepo, tempDir } from '../../support/temp-repo.js';
import { ghml, recordRun, sha256, storeProject, tagMessage } from './store-project.js';

const owner = 'acme';
const repo = 'ml';
const BIG = 1536 * 1024;

let registry: RunningRegistry;
let gh: GitHubEmulator;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});
beforeEach(async () => {
  gh = await startGitHubEmulator();
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

function githubEnv(): Record<string, string> {
  return {
    GITHUB_TOKEN: TEST_TOKENS.actions,
    GITHUB_REPOSITORY: `${owner}/${repo}`,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: gh.webUrl,
  };
}

function releaseOf(tag: string) {
  const release = gh.state.releasesOf({ owner, repo }).find((r) => r.tagName === tag);
  if (release === undefined) throw new Error(`no release ${tag}`);
  return { release, assets: gh.state.assetsOf(release.id) };
}

/** An MLflow-model-like folder: a large pickle (in the store) and small text files (on the branch). */
function mlflowFolder(pickle: Buffer): Record<string, Buffer> {
  return {
    'model/MLmodel': Buffer.from(
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n',
    ),
    'model/model.pkl': pickle,
    'model/conda.yaml': Buffer.from('name: iris\ndependencies:\n  - python=3.11\n'),
    'metrics.json': Buffer.from('{"accuracy": 0.97}\n'),
  };
}

describe('the release of a version whose files are in the artifact store', () => {
  it('carries the file, streamed from the store, and model get reads it from the release', async () => {
    const project = storeProject(`oci://${registry.host}/acme/rel`);
    const model = randomBytes(BIG);
    const run = await recordRun(project, { 'model.bin': model });
    const clone = cloneRepo(project.origin);
    const registered = await ghml(
      clone,
      ['model', 'register', 'iris', '--version', 'v1.0.0', '--run', run.id, '--path', 'model.bin'],
      githubEnv(),
    );
    expect(registered.code, registered.stderr).toBe(0);

    const { release, assets } = releaseOf('iris@v1.0.0');
    expect(release.draft).toBe(false);
    expect(assets.map((a) => a.name)).toEqual(['model.bin']);
    expect(assets[0]?.data.equals(model)).toBe(true);
    const message = tagMessage(project.origin, 'iris@v1.0.0');
    expect(message.metadata?.artifacts).toEqual([
      {
        path: 'model.bin',
        uri: `${gh.webUrl}/${owner}/${repo}/releases/download/iris%40v1.0.0/model.bin`,
        sha256: sha256(model),
        size: BIG,
      },
    ]);
    expect(message.metadata?.store?.reference).toBe(
      `oci://${registry.host}/acme/rel/models/iris:v1.0.0`,
    );
    expect(release.body).toContain(`oci://${registry.host}/acme/rel/models/iris:v1.0.0`);

    const other = cloneRepo(project.origin);
    const got = await ghml(
      other,
      ['model', 'get', 'iris@v1.0.0', '-o', 'out', '--json'],
      githubEnv(),
    );
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      files: [{ name: 'model.bin', source: 'release', sha256: sha256(model), size: BIG }],
    });
    expect(readFileSync(join(other, 'out', 'model.bin')).equals(model)).toBe(true);
  });

  it('registers a run folder whole with a deterministic model.tar.gz that model get unpacks', async () => {
    const project = storeProject(`oci://${registry.host}/acme/folder`);
    const pickle = randomBytes(BIG);
    const files = mlflowFolder(pickle);
    const first = await recordRun(project, files, 'train 1');
    const second = await recordRun(project, files, 'train 2');
    expect(first.artifacts.find((a) => a.path === 'model/model.pkl')?.stored).toBe(false);
    expect(first.artifacts.find((a) => a.path === 'model/MLmodel')?.stored).toBe(true);

    const clone = cloneRepo(project.origin);
    for (const [run, version] of [
      [first, 'v1.0.0'],
      [second, 'v1.1.0'],
    ] as const) {
      const registered = await ghml(
        clone,
        [
          'model',
          'register',
          'iris',
          '--version',
          version,
          '--run',
          run.id,
          '--path',
          'model',
          '--json',
        ],
        githubEnv(),
      );
      expect(registered.code, registered.stderr).toBe(0);
      expect(JSON.parse(registered.stdout)).toMatchObject({
        folder: { path: 'model', archive: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      });
    }
    const a = releaseOf('iris@v1.0.0');
    const b = releaseOf('iris@v1.1.0');
    expect(a.assets.map((x) => x.name)).toEqual(['model.tar.gz']);
    expect(b.assets.map((x) => x.name)).toEqual(['model.tar.gz']);
    const archive = a.assets[0]!.data;
    // Deterministic: two registrations of the same files give the same bytes.
    expect(sha256(b.assets[0]!.data)).toBe(sha256(archive));
    const m1 = tagMessage(project.origin, 'iris@v1.0.0').metadata;
    const m2 = tagMessage(project.origin, 'iris@v1.1.0').metadata;
    expect(m1?.folder).toBe('model');
    expect(m1?.archive).toEqual({
      uri: `${gh.webUrl}/${owner}/${repo}/releases/download/iris%40v1.0.0/model.tar.gz`,
      sha256: sha256(archive),
      size: archive.length,
    });
    expect(m2?.archive?.sha256).toBe(sha256(archive));
    expect(m1?.artifacts?.map((x) => [x.path, x.sha256])).toEqual([
      ['model/MLmodel', sha256(files['model/MLmodel']!)],
      ['model/conda.yaml', sha256(files['model/conda.yaml']!)],
      ['model/model.pkl', sha256(pickle)],
    ]);

    // Any tar reads it: the folder's files at its root, nothing else.
    const unpacked = tempDir('ghml-untar-');
    const tarball = join(unpacked, 'model.tar.gz');
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', tarball], { input: archive });
    expect(
      execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean),
    ).toEqual(['MLmodel', 'conda.yaml', 'model.pkl']);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    expect(readFileSync(join(unpacked, 'model.pkl')).equals(pickle)).toBe(true);

    const other = cloneRepo(project.origin);
    const got = await ghml(
      other,
      ['model', 'get', 'iris@v1.0.0', '-o', 'out', '--json'],
      githubEnv(),
    );
    expect(got.code, got.stderr).toBe(0);
    const result = JSON.parse(got.stdout) as {
      folder: string;
      files: Array<{ name: string; source: string }>;
    };
    expect(result.folder).toBe(join(other, 'out', 'model'));
    expect(result.files.map((f) => [f.name, f.source])).toEqual([
      ['MLmodel', 'release'],
      ['conda.yaml', 'release'],
      ['model.pkl', 'release'],
    ]);
    expect(readdirSync(join(other, 'out')).sort()).toEqual(['model']);
    expect(readdirSync(join(other, 'out', 'model')).sort()).toEqual([
      'MLmodel',
      'conda.yaml',
      'model.pkl',
    ]);
    expect(readFileSync(join(other, 'out', 'model', 'model.pkl')).equals(pickle)).toBe(true);
    expect(readFileSync(join(other, 'out', 'model', 'MLmodel'))).toEqual(files['model/MLmodel']);
  });

  it('model get writes a folder registered without a release from the store, small files included', async () => {
    const project = storeProject(`oci://${registry.host}/acme/norel`);
    const pickle = randomBytes(BIG);
    const files = mlflowFolder(pickle);
    const run = await recordRun(project, files);
    const clone = cloneRepo(project.origin);
    const registered = await ghml(clone, [
      'model',
      'register',
      'iris',
      '--version',
      'v1.0.0',
      '--run',
      run.id,
      '--path',
      'model',
      '--no-release',
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    const message = tagMessage(project.origin, 'iris@v1.0.0').metadata;
    expect(message?.folder).toBe('model');
    expect(message?.archive).toBeUndefined();
    // Every file of the folder is a blob of the version in the store (none is left `ghml-run:`).
    const digest = message?.store?.digest ?? '';
    expect(message?.artifacts?.map((a) => a.uri)).toEqual(
      ['MLmodel', 'conda.yaml', 'model.pkl'].map(
        (name) => `oci://${registry.host}/acme/norel/models/iris@${digest}#model/${name}`,
      ),
    );
    const version = await rawManifest(registry.host, 'acme/norel/models/iris', 'v1.0.0');
    expect(version.digest).toBe(digest);
    const titles = (
      version.json as { layers: Array<{ annotations: Record<string, string> }> }
    ).layers.map((l) => l.annotations['org.opencontainers.image.title']);
    expect(titles).toEqual(['model/MLmodel', 'model/conda.yaml', 'model/model.pkl']);

    const other = cloneRepo(project.origin);
    const got = await ghml(other, ['model', 'get', 'iris@v1.0.0', '-o', 'out', '--json']);
    expect(got.code, got.stderr).toBe(0);
    const result = JSON.parse(got.stdout) as { files: Array<{ name: string; source: string }> };
    // The store's version holds every file of the folder: the run's large file, and the small
    // ones the run keeps on its tracking branch, added to the version.
    expect(result.files.map((f) => [f.name, f.source])).toEqual([
      ['MLmodel', 'artifact-store'],
      ['conda.yaml', 'artifact-store'],
      ['model.pkl', 'artifact-store'],
    ]);
    expect(readFileSync(join(other, 'out', 'model', 'model.pkl')).equals(pickle)).toBe(true);
    expect(readFileSync(join(other, 'out', 'model', 'conda.yaml'))).toEqual(
      files['model/conda.yaml'],
    );
    expect(existsSync(join(other, 'out', 'metrics.json'))).toBe(false);
  });
});

describe('the archive reader', () => {
  const MLMODEL = Buffer.from('flavors: {}\n');

  interface Entry {
    name: string;
    data?: Buffer;
    type?: 'file' | 'symlink';
    linkname?: string;
  }

  async function archive(entries: readonly Entry[]): Promise<string> {
    const file = join(tempDir('ghml-archive-'), 'model.tar.gz');
    const pack = tar.pack();
    const written = pipeline(pack, createGzip(), createWriteStream(file));
    for (const { data, ...header } of entries) {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ ...header }, data ?? Buffer.alloc(0), (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    }
    pack.finalize();
    await written;
    return file;
  }

  async function extract(file: string): Promise<{ error: unknown; out: string }> {
    const out = tempDir('ghml-extract-');
    const members = new Map([
      [
        'MLmodel',
        { sha256: sha256(MLMODEL), size: MLMODEL.length, target: join(out, 'model', 'MLmodel') },
      ],
    ]);
    const error = await extractModelArchive(file, members, {
      reference: 'iris@v1.0.0',
      source: 'model.tar.gz from the release',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, out };
  }

  it('writes the files the tag records', async () => {
    const { error, out } = await extract(await archive([{ name: 'MLmodel', data: MLMODEL }]));
    expect(error).toBeUndefined();
    expect(readFileSync(join(out, 'model', 'MLmodel'))).toEqual(MLMODEL);
  });

  const cases: Array<[string, Entry[]]> = [
    ['a path with ..', [{ name: '../escape.txt', data: Buffer.from('x') }]],
    ['a path inside with ..', [{ name: 'sub/../../escape.txt', data: Buffer.from('x') }]],
    ['an absolute path', [{ name: '/tmp/ghml-escape.txt', data: Buffer.from('x') }]],
    ['a symlink', [{ name: 'MLmodel', type: 'symlink', linkname: '/etc/passwd' }]],
  ];
  for (const [what, entries] of cases) {
    it(`refuses ${what}, writing nothing`, async () => {
      const { error, out } = await extract(
        await archive([{ name: 'MLmodel', data: MLMODEL }, ...entries].reverse()),
      );
      expect(error).toBeInstanceOf(ModelDownloadError);
      const name = entries[0]?.name ?? '';
      expect((error as Error).message).toContain(`model.tar.gz from the release holds a`);
      expect((error as Error).message).toContain(`'${name}' the tag does not record`);
      expect((error as ModelDownloadError).hint).toContain('ghml model release');
      expect(readdirSync(out)).toEqual([]);
      expect(existsSync('/tmp/ghml-escape.txt')).toBe(false);
    });
  }

  it('refuses an archive that lacks a recorded file', async () => {
    const { error } = await extract(await archive([{ name: 'other.txt', data: MLMODEL }]));
    expect(error).toBeInstanceOf(ModelDownloadError);
  });
});
