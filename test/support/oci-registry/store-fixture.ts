/**
 * Helpers for artifact-store tests: files with their sha256 (as run.json records them), a store
 * opened on a registry with fast retries and a captured debug log, and a raw GET of a manifest
 * (basic auth) to check what the registry really holds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { openArtifactStore, type OpenStoreOptions } from '../../../src/artifacts/store-settings.js';

/** Retries that give up within a second or two. */
export const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 5_000, budgetMs: 20_000 };

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

export interface TestFile {
  path: string;
  file: string;
  sha256: string;
  size: number;
  data: Buffer;
}

/** Writes `data` at `<dir>/<path>` and returns the upload input for it. */
export function writeRunFile(dir: string, path: string, data: Buffer | string): TestFile {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const file = join(dir, ...path.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return { path, file, sha256: sha256(bytes), size: bytes.length, data: bytes };
}

/** Random bytes (incompressible, unique per call). */
export function randomData(size: number): Buffer {
  return randomBytes(size);
}

/** A temp folder standing in for a repository's git dir. */
export function tempGitDir(): string {
  return mkdtempSync(join(tmpdir(), 'ghml-gitdir-'));
}

export interface OpenedTestStore {
  store: ArtifactStore;
  debug: string[];
}

/** Opens `oci://<host>/<prefix>` with fast retries; extra options override. */
export function openTestStore(
  host: string,
  options: Partial<OpenStoreOptions> & { prefix?: string } = {},
): OpenedTestStore {
  const debug: string[] = [];
  const { prefix = 'acme/ml', ...rest } = options;
  const store = openArtifactStore({
    setting: { kind: 'oci', registry: host, prefix },
    env: {},
    gitDir: rest.gitDir ?? tempGitDir(),
    retry: FAST_RETRY,
    debug: (line) => debug.push(line),
    ...rest,
  });
  if (store === null) throw new Error('no store');
  return { store, debug };
}

/** GET a manifest straight from the registry (basic auth when given), as JSON. */
export async function rawManifest(
  host: string,
  repository: string,
  reference: string,
  basic?: { user: string; password: string },
): Promise<{ status: number; json: unknown; digest: string | null }> {
  const headers: Record<string, string> = { accept: 'application/vnd.oci.image.manifest.v1+json' };
  if (basic)
    headers['authorization'] =
      `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`;
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    headers,
  });
  const text = await response.text();
  return {
    status: response.status,
    json: response.ok ? (JSON.parse(text) as unknown) : text,
    digest: response.headers.get('docker-content-digest'),
  };
}
