import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { createGit } from '../../../src/git/git.js';
import { createGitHubClient } from '../../../src/github/github-client.js';
import { downloadModel } from '../../../src/registry/releases/model-download.js';
import {
  adoptPublishedRelease,
  adoptTag,
  demoteModel,
  deregisterModel,
  promoteModel,
  registerModel,
  registryService,
  releaseVersion,
  type RegistryContext,
} from '../../../src/registry/registration-workflow.js';
import { ReleaseClient } from '../../../src/registry/releases/release-client.js';
import {
  ChecksumMismatchError,
  InvalidModelFileError,
  ModelFileMissingError,
  NoRunForModelError,
  ReleasePublishError,
} from '../../../src/registry/releases/release-errors.js';
import { RegistryRuleError } from '../../../src/registry/registry-errors.js';
import { versionsFromRunEvents } from '../../../src/registry/registry-provenance.js';
import { parseTagMessage } from '../../../src/registry/tags/tag-message.js';
import type { RunStatus } from '../../../src/tracking/run-record.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  tempDir,
} from '../../support/temp-repo.js';
import { sampleInput } from '../tracking/fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const owner = 'acme';
const repo = 'ml';
const UPLOAD = 'POST /repos/{owner}/{repo}/releases/{release_id}/assets';
const GHML_YML =
  'registry:\n  models:\n    iris:\n      path: model.pkl\n      description: Random forest on iris\n';
const MODEL = Buffer.from('pickled forest \u0000\u00ff'.repeat(50));

let gh: GitHubEmulator;

beforeEach(async () => {
  gh = await startGitHubEmulator();
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

interface Setup {
  dir: string;
  origin: string | undefined;
  store: TrackingStore;
  notes: string[];
  context(options?: { github?: boolean }): RegistryContext;
  /** Records a run at HEAD (or `commit`) with model.pkl stored as an artifact. */
  addRun(options?: { commit?: string; status?: RunStatus; model?: Buffer }): Promise<string>;
}

async function setup(options: { remote?: boolean; yml?: string } = {}): Promise<Setup> {
  const origin = options.remote === false ? undefined : makeBareRemote();
  let dir: string;
  if (origin) {
    const seed = cloneRepo(origin);
    commitFile(seed, 'README.md', '# iris\n');
    git(seed, 'push', '-q', 'origin', 'HEAD:main');
    dir = cloneRepo(origin);
  } else {
    dir = tempDir('ghml-reg-');
    git(dir, 'init', '-q', '-b', 'main');
    for (const [k, v] of [
      ['user.name', 'Test User'],
      ['user.email', 'test@example.com'],
      ['tag.gpgsign', 'false'],
      ['commit.gpgsign', 'false'],
    ] as const) {
      git(dir, 'config', k, v);
    }
  }
  commitFile(dir, 'ghml.yml', options.yml ?? GHML_YML);
  const g = await createGit(dir);
  const config = await loadConfig(dir);
  const store = openTrackingStore(g, config.tracking);
  const notes: string[] = [];
  const client = createGitHubClient({
    token: TEST_TOKENS.actions,
    baseUrl: gh.url,
    env: {},
    timeUnitMs: 1,
    minWriteIntervalMs: 0,
  });
  const releases = new ReleaseClient(
    { client, repo: { owner, repo }, serverUrl: gh.webUrl },
    { sleep: async () => {} },
  );
  return {
    dir,
    origin,
    store,
    notes,
    context: (o = {}) => ({
      git: g,
      root: dir,
      cwd: dir,
      config,
      store,
      env: {},
      note: (m) => notes.push(m),
      ...(o.github === false ? { noGitHubReason: 'no GitHub token' } : { releases }),
    }),
    async addRun(o = {}) {
      const commit = o.commit ?? git(dir, 'rev-parse', 'HEAD');
      const data = o.model ?? MODEL;
      const file = join(tempDir(), 'model.pkl');
      writeFileSync(file, data);
      const input = sampleInput(commit, { status: o.status ?? 'FINISHED' });
      input.record.artifacts = [
        {
          path: 'model.pkl',
          size: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          stored: true,
        },
      ];
      input.artifacts = [{ path: 'model.pkl', file }];
      await store.writeRun(input);
      return input.record.id;
    },
  };
}

function tagType(dir: string, tag: string): string {
  return git(dir, 'cat-file', '-t', `refs/tags/${tag}`);
}

function tagNames(dir: string): string[] {
  const out = git(dir, 'tag', '--list');
  return out === '' ? [] : out.split('\n');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('registerModel', () => {
  it('records the asset API URL with registry.asset_urls: api (private repositories)', async () => {
    const s = await setup({ yml: `${GHML_YML}  asset_urls: api\n` });
    await s.addRun();
    const result = await registerModel(s.context(), { name: 'iris' });
    const [release] = gh.state.releasesOf({ owner, repo });
    expect(release).toMatchObject({ tagName: 'iris@v0.0.1', draft: false });
    const [asset] = gh.state.assetsOf(release!.id);
    const uri = `${gh.url}/repos/acme/ml/releases/assets/${asset!.id}`;
    const message = parseTagMessage(git(s.dir, 'tag', '-l', '--format=%(contents)', 'iris@v0.0.1'));
    expect(message.metadata?.artifacts?.map((a) => a.uri)).toEqual([uri]);
    expect(result.release).toMatchObject({ id: release!.id, created: true });
    expect(release?.body).toContain('# iris v0.0.1');
    // What the init container does: the API URL with a token and Accept: octet-stream.
    const response = await fetch(uri, {
      headers: {
        authorization: `Bearer ${TEST_TOKENS.actions}`,
        accept: 'application/octet-stream',
      },
    });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(MODEL);
  });

  it('with API asset URLs, removes the staged draft when the tag cannot be written', async () => {
    const s = await setup({ yml: `${GHML_YML}  asset_urls: api\n` });
    await s.addRun();
    git(s.dir, 'tag', '-a', '-m', 'taken', 'iris@v0.0.1');
    const error = await rejection(registerModel(s.context(), { name: 'iris', version: 'v0.0.1' }));
    expect((error as Error).name).toBe('VersionExistsError');
    expect(gh.state.releasesOf({ owner, repo })).toEqual([]);
  });

  it('tags the run commit, pushes, publishes a release with the model and card, records provenance', async () => {
    const s = await setup();
    const runId = await s.addRun();
    const commit = git(s.dir, 'rev-parse', 'HEAD');
    const result = await registerModel(s.context(), { name: 'iris' });

    expect(result).toMatchObject({ tag: 'iris@v0.0.1', commit, runId, pushed: true });
    expect(tagType(s.dir, 'iris@v0.0.1')).toBe('tag');
    expect(git(s.origin!, 'rev-parse', 'refs/tags/iris@v0.0.1^{commit}')).toBe(commit);

    const sha = createHash('sha256').update(MODEL).digest('hex');
    const message = parseTagMessage(git(s.dir, 'tag', '-l', '--format=%(contents)', 'iris@v0.0.1'));
    expect(message.metadata).toMatchObject({
      runId,
      experiment: 'iris',
      metrics: { accuracy: 0.9 },
      artifacts: [
        {
          uri: `${gh.webUrl}/acme/ml/releases/download/iris%40v0.0.1/model.pkl`,
          sha256: sha,
          size: MODEL.length,
        },
      ],
    });
    expect(Number.isNaN(message.metadata?.metrics?.['loss'])).toBe(true);

    const [release] = gh.state.releasesOf({ owner, repo });
    expect(release).toMatchObject({ tagName: 'iris@v0.0.1', draft: false });
    expect(gh.state.assetsOf(release!.id).map((a) => [a.name, a.data])).toEqual([
      ['model.pkl', MODEL],
    ]);
    expect(release?.body).toContain('# iris v0.0.1');
    expect(release?.body).toContain('Random forest on iris');
    expect(release?.body).toContain(`\`${sha}\``);
    expect(result.release).toMatchObject({ id: release!.id, created: true });

    // Provenance: an event on the run, pushed to the remote's tracking branch.
    expect(result.provenance).toEqual({ recorded: true, pushed: true });
    const run = await s.store.findRun(runId);
    const events = await s.store.readRunEvents(run);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({ kind: 'registry', action: 'register', tag: 'iris@v0.0.1' }),
    ]);
    expect(git(s.origin!, 'rev-parse', 'refs/heads/ghml/runs')).toBe(
      git(s.dir, 'rev-parse', 'refs/heads/ghml/runs'),
    );

    // ghml model get: from the release asset API, sha256 verified.
    const out = tempDir();
    const got = await downloadModel({
      reference: 'iris@latest',
      outDir: out,
      registry: registryService(s.context()),
      git: s.context().git,
      store: s.store,
      releases: s.context().releases!,
    });
    expect(got.files).toEqual([
      expect.objectContaining({ name: 'model.pkl', source: 'release', sha256: sha }),
    ]);
    expect(readFileSync(join(out, 'model.pkl'))).toEqual(MODEL);
    expect(readdirSync(out)).toEqual(['model.pkl']);
  });

  it('refuses a missing model file before any tag or release exists', async () => {
    const s = await setup({ yml: 'registry:\n  models:\n    iris:\n      path: missing.pkl\n' });
    await s.addRun();
    const error = await rejection(registerModel(s.context(), { name: 'iris' }));

    expect(error).toBeInstanceOf(ModelFileMissingError);
    expect((error as Error).message).toContain("'missing.pkl'");
    expect((error as Error).message).toContain('no tag was created');
    expect(tagNames(s.dir)).toEqual([]);
    expect(git(s.origin!, 'tag', '--list')).toBe('');
    expect(gh.state.releasesOf({ owner, repo })).toEqual([]);
  });

  it('refuses --path outside the repository, a FAILED run, and no run at HEAD', async () => {
    const s = await setup();
    const outside = join(tempDir(), 'model.pkl');
    writeFileSync(outside, 'x');
    await s.addRun();
    expect(
      await rejection(registerModel(s.context(), { name: 'iris', paths: [outside] })),
    ).toBeInstanceOf(InvalidModelFileError);

    const failed = await s.addRun({ status: 'FAILED' });
    const error = await rejection(registerModel(s.context(), { name: 'iris', runId: failed }));
    expect(error).toBeInstanceOf(NoRunForModelError);
    expect((error as Error).message).toContain('FAILED');

    commitFile(s.dir, 'train.py', 'print(1)\n');
    const none = await rejection(registerModel(s.context(), { name: 'iris' }));
    expect(none).toBeInstanceOf(NoRunForModelError);
    expect((none as Error).message).toContain("experiment 'iris'");
    expect(tagNames(s.dir)).toEqual([]);
  });

  it('uses --path work-tree files and skips the release with a note when GitHub is unreachable', async () => {
    const s = await setup({ remote: false, yml: 'tracking: {}\n' });
    await s.addRun();
    writeFileSync(join(s.dir, 'weights.bin'), 'weights');
    const result = await registerModel(s.context({ github: false }), {
      name: 'iris',
      paths: ['weights.bin'],
      version: 'v1.0.0',
    });

    expect(result).toMatchObject({ tag: 'iris@v1.0.0', pushed: false, release: null });
    expect(result.files).toEqual([
      expect.objectContaining({ name: 'weights.bin', origin: 'worktree', size: 7 }),
    ]);
    expect(s.notes.some((n) => n.includes('no GitHub release: no GitHub token'))).toBe(true);
    expect(gh.requests.count()).toBe(0);
  });

  it('when uploads keep failing: the tag stays, no release is left, and `model release` retries', async () => {
    const s = await setup();
    await s.addRun();
    gh.faults.next({ route: UPLOAD, status: 500, times: 3 });
    const error = await rejection(registerModel(s.context(), { name: 'iris' }));

    expect(error).toBeInstanceOf(ReleasePublishError);
    expect((error as ReleasePublishError).hint).toBe('Retry with: ghml model release iris@v0.0.1');
    expect(tagType(s.dir, 'iris@v0.0.1')).toBe('tag');
    expect(gh.state.releasesOf({ owner, repo })).toEqual([]);

    const release = await releaseVersion(s.context(), 'iris@v0.0.1');
    expect(release.created).toBe(true);
    const [published] = gh.state.releasesOf({ owner, repo });
    expect(gh.state.assetsOf(published!.id).map((a) => a.data)).toEqual([MODEL]);
  });

  it('records promote, demote and deregister on the run', async () => {
    const s = await setup({ remote: false });
    const runId = await s.addRun();
    const ctx = s.context({ github: false });
    await registerModel(ctx, { name: 'iris' });
    await promoteModel(ctx, 'iris', 'latest', 'staging');
    await promoteModel(ctx, 'iris', 'v0.0.1', 'prod');
    await demoteModel(ctx, 'iris', 'staging');

    const run = await s.store.findRun(runId);
    let events = await s.store.readRunEvents(run);
    expect(events.map((e) => [e.event['action'], e.event['stage'] ?? null])).toEqual([
      ['register', null],
      ['promote', 'staging'],
      ['promote', 'prod'],
      ['demote', 'staging'],
    ]);
    expect(versionsFromRunEvents(events)).toEqual([
      expect.objectContaining({
        model: 'iris',
        version: 'v0.0.1',
        tag: 'iris@v0.0.1',
        deregistered: false,
        promotedTo: ['prod'],
      }),
    ]);

    await deregisterModel(ctx, 'iris', 'v0.0.1');
    // A StoredRun names the run's tree as it was read: read it again after the new event.
    events = await s.store.readRunEvents(await s.store.findRun(runId));
    expect(versionsFromRunEvents(events)[0]).toMatchObject({ deregistered: true, promotedTo: [] });
  });
});

describe('model get', () => {
  it('falls back to the tracking branch artifacts without GitHub', async () => {
    const s = await setup({ remote: false });
    await s.addRun();
    const ctx = s.context({ github: false });
    await registerModel(ctx, { name: 'iris' });
    await promoteModel(ctx, 'iris', 'latest', 'prod');

    const out = join(tempDir(), 'nested', 'dir');
    const got = await downloadModel({
      reference: 'iris#prod',
      outDir: out,
      registry: registryService(ctx),
      git: ctx.git,
      store: s.store,
    });
    expect(got).toMatchObject({ model: 'iris', version: 'v0.0.1', tag: 'iris@v0.0.1' });
    expect(got.files).toEqual([expect.objectContaining({ source: 'tracking-branch' })]);
    expect(readFileSync(join(out, 'model.pkl'))).toEqual(MODEL);
  });

  it('rejects a release asset whose sha256 differs, leaving no file behind', async () => {
    const s = await setup();
    await s.addRun();
    await registerModel(s.context(), { name: 'iris' });
    const [release] = gh.state.releasesOf({ owner, repo });
    const asset = gh.state.assetsOf(release!.id)[0]!;
    asset.data = Buffer.from(MODEL).fill(0x41, 0, 10);

    const out = tempDir();
    writeFileSync(join(out, 'model.pkl'), 'the old model');
    const error = await rejection(
      downloadModel({
        reference: 'iris@v0.0.1',
        outDir: out,
        registry: registryService(s.context()),
        git: s.context().git,
        store: s.store,
        releases: s.context().releases!,
      }),
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain("'model.pkl'");
    // The existing file is untouched and no temp file is left.
    expect(readdirSync(out)).toEqual(['model.pkl']);
    expect(readFileSync(join(out, 'model.pkl'), 'utf8')).toBe('the old model');

    // A longer asset is cut off early and rejected the same way.
    asset.data = Buffer.concat([MODEL, Buffer.from('extra')]);
    const longer = await rejection(
      downloadModel({
        reference: 'iris@v0.0.1',
        outDir: out,
        registry: registryService(s.context()),
        git: s.context().git,
        releases: s.context().releases!,
      }),
    );
    expect(longer).toBeInstanceOf(ChecksumMismatchError);
    expect(readdirSync(out)).toEqual(['model.pkl']);
  });
});

describe('adoption of tags made on GitHub', () => {
  it('refuses --adopt of a tag whose commit has no run, leaving the tag lightweight', async () => {
    const s = await setup();
    await s.addRun();
    const other = commitFile(s.dir, 'train.py', 'print(2)\n');
    git(s.dir, 'tag', 'iris@v2.0.0', other);
    const error = await rejection(adoptTag(s.context(), 'iris@v2.0.0'));

    expect(error).toBeInstanceOf(NoRunForModelError);
    expect((error as Error).message).toContain(`commit ${other.slice(0, 12)} has no FINISHED run`);
    expect(tagType(s.dir, 'iris@v2.0.0')).toBe('commit');
  });

  it('refuses --adopt of a lightweight tag that names a tree, not a commit, and changes nothing', async () => {
    const s = await setup();
    await s.addRun();
    const tree = git(s.dir, 'rev-parse', 'HEAD^{tree}');
    git(s.dir, 'tag', 'iris@v3.0.0', tree);
    const error = await rejection(adoptTag(s.context(), 'iris@v3.0.0'));

    expect(error).toBeInstanceOf(RegistryRuleError);
    expect((error as RegistryRuleError).message).toBe(
      "Tag 'iris@v3.0.0' does not point at a commit.",
    );
    expect(git(s.dir, 'rev-parse', 'refs/tags/iris@v3.0.0')).toBe(tree);
    expect(gh.state.releasesOf({ owner, repo })).toEqual([]);
  });

  it('adopts a release published in the web UI: annotated tag, assets and card on that release', async () => {
    const s = await setup();
    const runId = await s.addRun();
    const commit = git(s.dir, 'rev-parse', 'HEAD');
    // GitHub's "Draft a new release" creates a lightweight tag on the remote.
    git(s.dir, 'push', '-q', 'origin', 'HEAD:main');
    git(s.origin!, 'tag', 'iris@v1.0.0', commit);
    const client = s.context().releases!;
    const draft = await client.createDraft('iris@v1.0.0', 'Iris 1.0', 'Our first model!');
    await client.update(draft.id, { draft: false });

    const outcome = await adoptPublishedRelease(s.context(), {
      action: 'published',
      release: { id: draft.id, tag_name: 'iris@v1.0.0', draft: false },
    });

    expect(outcome.adopted).toBe(true);
    expect(tagType(s.dir, 'iris@v1.0.0')).toBe('tag');
    expect(git(s.origin!, 'cat-file', '-t', 'refs/tags/iris@v1.0.0')).toBe('tag');
    expect(git(s.origin!, 'rev-parse', 'refs/tags/iris@v1.0.0^{commit}')).toBe(commit);
    const message = parseTagMessage(git(s.dir, 'tag', '-l', '--format=%(contents)', 'iris@v1.0.0'));
    expect(message.metadata?.runId).toBe(runId);

    const releases = gh.state.releasesOf({ owner, repo });
    expect(releases).toHaveLength(1);
    expect(gh.state.assetsOf(draft.id).map((a) => a.data)).toEqual([MODEL]);
    expect(releases[0]?.body?.startsWith('Our first model!\n\n<!-- ghml:model-card:v1 -->')).toBe(
      true,
    );

    // The registry counts it now, and provenance says it was adopted.
    expect((await registryService(s.context()).which('iris@latest')).version).toBe('v1.0.0');
    const events = await s.store.readRunEvents(await s.store.findRun(runId));
    expect(events.map((e) => e.event['action'])).toEqual(['adopt']);

    // A second event for the same release is a no-op.
    const again = await adoptPublishedRelease(s.context(), {
      action: 'published',
      release: { id: draft.id, tag_name: 'iris@v1.0.0' },
    });
    expect(again).toEqual({
      adopted: false,
      reason: "'iris@v1.0.0' is an annotated tag: registered already",
    });
  });

  it('skips releases whose tag is not a model version', async () => {
    const s = await setup({ remote: false });
    const outcome = await adoptPublishedRelease(s.context(), {
      action: 'published',
      release: { id: 1, tag_name: 'v1.2.3' },
    });
    expect(outcome).toMatchObject({ adopted: false });
    expect(existsSync(join(s.dir, '.git', 'refs', 'tags', 'v1.2.3'))).toBe(false);
  });
});
