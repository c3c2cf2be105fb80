/**
 * Versions in the artifact store, end to end with the built CLI and the real registry: a run's
 * model over the branch limit is registered from a fresh clone (no local file, no local cache)
 * by tagging the run's manifest as `<prefix>/models/<model>:<version>`, the tag message records
 * that reference, and `ghml model get` in another fresh clone downloads it from the store,
 * sha256-checked. When the git tag cannot be pushed, the store tag made for it is removed again
 * and nothing else is lost.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawManifest } from '../../support/oci-registry/store-fixture.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { cleanupTempDirs, cloneRepo, git } from '../../support/temp-repo.js';
import { ghml, recordRun, sha256, storeProject, tagMessage, tags } from './store-project.js';

let registry: RunningRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});

const MODEL_SIZE = 1536 * 1024; // over the 1 MiB the tracking branch keeps

describe('a version registered from the artifact store', () => {
  it('is tagged in the store from a fresh clone, recorded in the tag, and fetched by model get', async () => {
    const prefix = 'acme/iris';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const model = randomBytes(MODEL_SIZE);
    const run = await recordRun(project, { 'model.bin': model });
    expect(run.artifacts).toEqual([
      expect.objectContaining({ path: 'model.bin', stored: false, sha256: sha256(model) }),
    ]);

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
      'model.bin',
      '--no-release',
      '--json',
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    const result = JSON.parse(registered.stdout) as {
      tag: string;
      store: { reference: string; digest: string } | null;
      files: Array<{ name: string; uri: string; sha256: string; size: number }>;
    };
    const runManifest = await rawManifest(registry.host, `${prefix}/runs`, run.id);
    expect(runManifest.status).toBe(200);
    const reference = `oci://${registry.host}/${prefix}/models/iris:v1.0.0`;
    expect(result.store).toEqual({ reference, digest: runManifest.digest });

    // The store holds the version: the run's manifest, same digest, listing the model's blob.
    const version = await rawManifest(registry.host, `${prefix}/models/iris`, 'v1.0.0');
    expect(version.status).toBe(200);
    expect(version.digest).toBe(runManifest.digest);
    const layers = (version.json as { layers: Array<{ digest: string; size: number }> }).layers;
    expect(layers).toContainEqual(
      expect.objectContaining({ digest: `sha256:${sha256(model)}`, size: MODEL_SIZE }),
    );

    // The tag on origin records the reference, and the file as a blob of that version.
    expect(tags(project.origin)).toContain('iris@v1.0.0');
    const message = tagMessage(project.origin, 'iris@v1.0.0');
    expect(message.metadata?.store).toEqual({ reference, digest: runManifest.digest });
    expect(message.metadata?.runId).toBe(run.id);
    expect(message.metadata?.artifacts).toEqual([
      {
        path: 'model.bin',
        uri: `oci://${registry.host}/${prefix}/models/iris@${runManifest.digest}#model.bin`,
        sha256: sha256(model),
        size: MODEL_SIZE,
      },
    ]);

    const other = cloneRepo(project.origin);
    const got = await ghml(other, ['model', 'get', 'iris@v1.0.0', '-o', 'out', '--json']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      tag: 'iris@v1.0.0',
      folder: null,
      files: [
        {
          name: 'model.bin',
          path: join(other, 'out', 'model.bin'),
          size: MODEL_SIZE,
          sha256: sha256(model),
          source: 'artifact-store',
        },
      ],
    });
    expect(readFileSync(join(other, 'out', 'model.bin')).equals(model)).toBe(true);

    const text = await ghml(other, ['model', 'get', 'iris@v1.0.0', '-o', 'again']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `${join(other, 'again', 'model.bin')} (${MODEL_SIZE} bytes, sha256 ${sha256(model).slice(0, 12)}…, from the artifact store)`,
    );
    expect(readdirSync(join(other, 'again'))).toEqual(['model.bin']);
  });

  it('model get refuses a store version whose tag was moved to other bytes, and writes nothing', async () => {
    const prefix = 'acme/moved';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const first = await recordRun(project, { 'model.bin': randomBytes(MODEL_SIZE) });
    const second = await recordRun(project, { 'model.bin': randomBytes(MODEL_SIZE) });
    const clone = cloneRepo(project.origin);
    const args = (id: string, version: string): string[] => [
      'model',
      'register',
      'iris',
      '--version',
      version,
      '--run',
      id,
      '--path',
      'model.bin',
      '--no-release',
    ];
    expect((await ghml(clone, args(first.id, 'v1.0.0'))).code).toBe(0);
    expect((await ghml(clone, args(second.id, 'v2.0.0'))).code).toBe(0);
    // Someone points models/iris:v1.0.0 at v2.0.0's manifest.
    const moved = await rawManifest(registry.host, `${prefix}/models/iris`, 'v2.0.0');
    const put = await fetch(`http://${registry.host}/v2/${prefix}/models/iris/manifests/v1.0.0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: JSON.stringify(moved.json),
    });
    expect(put.status).toBe(201);

    const other = cloneRepo(project.origin);
    const got = await ghml(other, ['model', 'get', 'iris@v1.0.0', '-o', 'out']);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain(
      `not the ${tagMessage(other, 'iris@v1.0.0').metadata?.store?.digest}`,
    );
    expect(got.stderr).toContain('tag was moved');
    expect(readdirSync(join(other, 'out'))).toEqual([]);
  });
});

describe('a registration whose git tag cannot be pushed', () => {
  it('removes the version tag it made in the store, and loses nothing else', async () => {
    const prefix = 'acme/undo';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const model = randomBytes(MODEL_SIZE);
    const run = await recordRun(project, { 'model.bin': model });
    // Origin refuses model tags (a protected-tag rule), after the store tag is made.
    const hook = join(project.origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/tags/*) echo "tags are protected" >&2; exit 1 ;; esac\ndone\n',
    );
    chmodSync(hook, 0o755);
    const originRefs = git(project.origin, 'for-each-ref', '--format=%(refname) %(objectname)');

    const clone = cloneRepo(project.origin);
    const failed = await ghml(clone, [
      'model',
      'register',
      'iris',
      '--version',
      'v1.0.0',
      '--run',
      run.id,
      '--path',
      'model.bin',
      '--no-release',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("Could not push tag 'iris@v1.0.0' to 'origin'");
    expect(failed.stderr).toContain('pre-receive hook declined');
    expect(failed.stderr).not.toMatch(/could not be removed/);

    // No version in the store, no tag here or on origin; the run and its files are intact.
    expect((await rawManifest(registry.host, `${prefix}/models/iris`, 'v1.0.0')).status).toBe(404);
    expect(tags(clone)).toEqual([]);
    expect(git(project.origin, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(
      originRefs,
    );
    expect((await rawManifest(registry.host, `${prefix}/runs`, run.id)).status).toBe(200);
    const back = await ghml(clone, ['runs', 'get', run.id, '-o', 'files']);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(join(clone, 'files', 'model.bin')).equals(model)).toBe(true);

    // Once origin accepts tags, the same registration succeeds.
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    const again = await ghml(clone, [
      'model',
      'register',
      'iris',
      '--version',
      'v1.0.0',
      '--run',
      run.id,
      '--path',
      'model.bin',
      '--no-release',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect((await rawManifest(registry.host, `${prefix}/models/iris`, 'v1.0.0')).status).toBe(200);
    expect(tags(project.origin)).toEqual(['iris@v1.0.0']);
  });

  it('leaves a store version tag it did not create when the git tag fails', async () => {
    const prefix = 'acme/kept';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const run = await recordRun(project, { 'model.bin': randomBytes(MODEL_SIZE) });
    // A registration elsewhere already tagged the store (the same content), then failed to tag git.
    const runManifest = await rawManifest(registry.host, `${prefix}/runs`, run.id);
    const mount = await fetch(
      `http://${registry.host}/v2/${prefix}/models/iris/blobs/uploads/?mount=${encodeURIComponent(
        (runManifest.json as { config: { digest: string } }).config.digest,
      )}&from=${prefix}/runs`,
      { method: 'POST' },
    );
    expect(mount.status).toBe(201);
    for (const layer of (runManifest.json as { layers: Array<{ digest: string }> }).layers) {
      const m = await fetch(
        `http://${registry.host}/v2/${prefix}/models/iris/blobs/uploads/?mount=${encodeURIComponent(layer.digest)}&from=${prefix}/runs`,
        { method: 'POST' },
      );
      expect(m.status).toBe(201);
    }
    const put = await fetch(`http://${registry.host}/v2/${prefix}/models/iris/manifests/v1.0.0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: JSON.stringify(runManifest.json),
    });
    expect(put.status).toBe(201);
    const hook = join(project.origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "tags are protected" >&2\nexit 1\n');
    chmodSync(hook, 0o755);

    const clone = cloneRepo(project.origin);
    const failed = await ghml(clone, [
      'model',
      'register',
      'iris',
      '--version',
      'v1.0.0',
      '--run',
      run.id,
      '--path',
      'model.bin',
      '--no-release',
    ]);
    expect(failed.code).toBe(1);
    const kept = await rawManifest(registry.host, `${prefix}/models/iris`, 'v1.0.0');
    expect(kept.status).toBe(200);
    expect(kept.digest).toBe(runManifest.digest);
  });
});
