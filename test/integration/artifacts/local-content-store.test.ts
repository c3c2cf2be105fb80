import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContentNotFoundError,
  DigestMismatchError,
  InvalidDigestError,
  SizeMismatchError,
} from '../../../src/artifacts/artifact-errors.js';
import { LocalContentStore } from '../../../src/artifacts/local-content-store.js';

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('LocalContentStore', () => {
  let dir: string;
  let store: LocalContentStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ghml-cas-'));
    store = new LocalContentStore(join(dir, 'objects'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a file under its sha256 and gives it back verified', async () => {
    const file = join(dir, 'model.bin');
    writeFileSync(file, 'weights');
    const put = await store.put(file);
    expect(put).toEqual({ sha256: sha('weights'), size: 7 });
    expect(await store.has(put.sha256)).toBe(true);
    const out = join(dir, 'out', 'model.bin');
    await store.get(put.sha256, out);
    expect(readFileSync(out, 'utf8')).toBe('weights');
    expect(readdirSync(join(dir, 'out'))).toEqual(['model.bin']);
  });

  it('stores identical content once and skips the copy when the digest is known', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, 'same');
    writeFileSync(b, 'same');
    const first = await store.put(a);
    const mtime = statSync(store.pathOf(first.sha256)).mtimeMs;
    expect(await store.put(b, { sha256: first.sha256, size: 4 })).toEqual(first);
    expect(statSync(store.pathOf(first.sha256)).mtimeMs).toBe(mtime);
  });

  it('refuses a file whose bytes do not match the digest or size it was recorded with', async () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'changed after hashing');
    await expect(store.put(file, { sha256: sha('original') })).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    await expect(
      store.put(file, { sha256: sha('changed after hashing'), size: 3 }),
    ).rejects.toBeInstanceOf(SizeMismatchError);
    // Nothing half-written is left behind.
    expect(readdirSync(join(dir, 'objects')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    expect(await store.has(sha('changed after hashing'))).toBe(false);
  });

  it('detects a damaged object, drops it and leaves no file at the destination', async () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'good');
    const { sha256 } = await store.put(file);
    writeFileSync(store.pathOf(sha256), 'evil');
    const out = join(dir, 'out');
    await expect(store.get(sha256, out)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(() => statSync(out)).toThrow();
    expect(await store.has(sha256)).toBe(false);
  });

  it('names the store and the digest when content is missing, and refuses bad digests', async () => {
    await expect(store.get(sha('nothing'), join(dir, 'x'))).rejects.toBeInstanceOf(
      ContentNotFoundError,
    );
    expect(() => store.pathOf('../../etc/passwd')).toThrow(InvalidDigestError);
    await expect(store.has('ABC')).resolves.toBe(false);
  });

  it('links an object into place without copying it', async () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'linked');
    const { sha256 } = await store.put(file);
    const out = join(dir, 'work', 'f');
    await store.linkOrGet(sha256, out);
    expect(readFileSync(out, 'utf8')).toBe('linked');
    expect(statSync(out).ino).toBe(statSync(store.pathOf(sha256)).ino);
  });
});
