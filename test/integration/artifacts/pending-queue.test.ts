import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../../src/artifacts/artifact-errors.js';
import { LocalContentStore, localCacheRoot } from '../../../src/artifacts/local-content-store.js';
import { formatRunManifest, manifestDigestOf } from '../../../src/artifacts/oci/run-manifest.js';
import {
  InvalidPendingRecordError,
  PendingQueue,
  pendingDir,
  type PendingUpload,
} from '../../../src/artifacts/pending-queue.js';
import { writeRunFile } from '../../support/oci-registry/store-fixture.js';

const work = mkdtempSync(join(tmpdir(), 'ghml-pending-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function upload(
  runId: string,
  files: Array<{ path: string; sha256: string; size: number }>,
  queuedAt = 1,
): PendingUpload {
  const manifest = formatRunManifest({ runId, experiment: 'iris', files });
  return {
    runId,
    experiment: 'iris',
    store: 'oci://ghcr.io/acme/ml',
    repository: 'acme/ml/runs',
    manifest: manifest.toString(),
    manifestDigest: manifestDigestOf(manifest),
    files,
    queuedAt,
    reason: 'ghcr.io is unavailable',
  };
}

describe('the pending queue', () => {
  it('copies files into the cache before writing the record, so the open folder can go', async () => {
    const gitDir = mkdtempSync(join(work, 'git-'));
    const queue = new PendingQueue(
      pendingDir(gitDir),
      new LocalContentStore(localCacheRoot(gitDir)),
    );
    const open = join(gitDir, 'ghml', 'open', 'run');
    const files = [writeRunFile(open, 'model.bin', 'weights'), writeRunFile(open, 'a/b.txt', 'b')];
    await queue.enqueue(upload('01J0000000000000000000AAAA', files, 2), files);
    const [model, extra] = files as [(typeof files)[0], (typeof files)[0]];
    await queue.enqueue(upload('01J00000000000000000000BBB', [extra], 1), [extra]);
    expect(model.path).toBe('model.bin');
    rmSync(open, { recursive: true, force: true });
    const { uploads, invalid } = await queue.list();
    expect(invalid).toEqual([]);
    expect(uploads.map((u) => u.runId)).toEqual([
      '01J00000000000000000000BBB',
      '01J0000000000000000000AAAA',
    ]);
    for (const file of files)
      expect(readFileSync(queue.objectPath(file.sha256))).toEqual(file.data);
    expect(readdirSync(pendingDir(gitDir)).sort()).toEqual([
      '01J00000000000000000000BBB.json',
      '01J0000000000000000000AAAA.json',
    ]);
    await queue.remove('01J0000000000000000000AAAA');
    expect((await queue.list()).uploads.map((u) => u.runId)).toEqual([
      '01J00000000000000000000BBB',
    ]);
    expect(await queue.get('01J0000000000000000000AAAA')).toBeUndefined();
  });

  it('refuses a file that no longer matches its recorded digest, and queues nothing', async () => {
    const gitDir = mkdtempSync(join(work, 'git-'));
    const queue = new PendingQueue(
      pendingDir(gitDir),
      new LocalContentStore(localCacheRoot(gitDir)),
    );
    const file = writeRunFile(join(gitDir, 'open'), 'model.bin', 'v1');
    writeFileSync(file.file, 'v2');
    await expect(
      queue.enqueue(upload('01J0000000000000000000CCCC', [file]), [file]),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    expect((await queue.list()).uploads).toEqual([]);
  });

  it('sets damaged or hand-edited records apart with the reason, keeping the others', async () => {
    const gitDir = mkdtempSync(join(work, 'git-'));
    const queue = new PendingQueue(
      pendingDir(gitDir),
      new LocalContentStore(localCacheRoot(gitDir)),
    );
    const file = writeRunFile(join(gitDir, 'open'), 'model.bin', 'ok');
    await queue.enqueue(upload('01J0000000000000000000GOOD', [file]), [file]);
    const dir = pendingDir(gitDir);
    writeFileSync(join(dir, '01J0000000000000000000JUNK.json'), '{ nope');
    const good = JSON.parse(
      readFileSync(join(dir, '01J0000000000000000000GOOD.json'), 'utf8'),
    ) as Record<string, unknown>;
    writeFileSync(
      join(dir, '01J0000000000000000000EDIT.json'),
      JSON.stringify({ ...good, runId: '01J0000000000000000000EDIT' }),
    );
    const tampered = upload('01J0000000000000000000TAMP', [
      { path: '../../x', sha256: file.sha256, size: 2 },
    ]);
    writeFileSync(
      join(dir, '01J0000000000000000000TAMP.json'),
      JSON.stringify({ version: 1, ...tampered }),
    );
    const { uploads, invalid } = await queue.list();
    expect(uploads.map((u) => u.runId)).toEqual(['01J0000000000000000000GOOD']);
    expect(invalid.every((e) => e instanceof InvalidPendingRecordError)).toBe(true);
    expect(invalid.map((e) => e.message.replace(dir, '<dir>'))).toEqual([
      'The pending upload record <dir>/01J0000000000000000000EDIT.json is unusable: its manifest names another run.',
      'The pending upload record <dir>/01J0000000000000000000JUNK.json is unusable: it is not JSON.',
      expect.stringContaining("path '../../x' contains a '..' segment"),
    ]);
  });
});
