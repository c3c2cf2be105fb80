import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContentNotFoundError,
  DigestMismatchError,
  InvalidDigestError,
} from '../../../src/artifacts/artifact-errors.js';
import { OciContentStore } from '../../../src/artifacts/oci-content-store.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import {
  openTestStore,
  randomData,
  sha256,
  writeRunFile,
} from '../../support/oci-registry/store-fixture.js';

describe('OciContentStore: the ContentStore interface on a registry repository', () => {
  let registry: RunningRegistry;
  let work: string;
  beforeAll(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'ghml-ocicas-'));
  });
  afterAll(async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('puts (hashing when no digest is given), has, and gets verified content', async () => {
    const content = new OciContentStore(openTestStore(registry.host).store.client, 'acme/ml/cache');
    expect(content.description).toBe(`oci://${registry.host}/acme/ml/cache`);
    const file = writeRunFile(work, 'out.bin', randomData(70_000));
    expect(await content.has(file.sha256)).toBe(false);
    expect(await content.put(file.file)).toEqual({ sha256: file.sha256, size: 70_000 });
    expect(await content.has(file.sha256)).toBe(true);
    const progress: number[] = [];
    await content.get(file.sha256, join(work, 'back', 'out.bin'), {
      size: 70_000,
      onProgress: (n) => progress.push(n),
    });
    expect(readFileSync(join(work, 'back', 'out.bin'))).toEqual(file.data);
    expect(progress.at(-1)).toBe(70_000);
  });

  it('refuses a file that does not match the digest it was recorded with', async () => {
    const content = new OciContentStore(openTestStore(registry.host).store.client, 'acme/ml/cache');
    const file = writeRunFile(work, 'changed.bin', 'after');
    await expect(
      content.put(file.file, { sha256: sha256('before'), size: 5 }),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await content.has(sha256('before'))).toBe(false);
    expect(await content.has(sha256('after'))).toBe(false);
  });

  it('says what is missing, and refuses malformed digests', async () => {
    const content = new OciContentStore(openTestStore(registry.host).store.client, 'acme/ml/cache');
    const dest = join(work, 'none.bin');
    await expect(content.get(sha256('nothing'), dest)).rejects.toBeInstanceOf(ContentNotFoundError);
    expect(existsSync(dest)).toBe(false);
    await expect(content.has('../../v2/_catalog')).rejects.toBeInstanceOf(InvalidDigestError);
  });
});
