/**
 * `ghml model get`: resolves a reference (`name#stage`, `name@vX.Y.Z`, `name@latest`) through
 * the registry, then downloads the version's files from its GitHub release through the
 * release asset API, or, for a repository without GitHub (or a version without a release),
 * from the run's stored artifacts on the tracking branch. Every file is checked against the
 * sha256 and size in the tag message and written atomically (temp file + rename); a file that
 * does not match is removed and never appears under its name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GitRunner } from '../../git/git-runner.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import { isSafeFileName } from './model-files.js';
import type { ReleaseClient, ReleaseInfo } from './release-client.js';
import { ChecksumMismatchError, ModelDownloadError } from './release-errors.js';
import { readRegistry } from '../registry-reader.js';
import type { RegistryService } from '../registry-service.js';
import type { TagArtifact } from '../tags/tag-message.js';

/** One progress bar per file; `src/cli/progress.ts` draws it on a terminal. */
export interface DownloadProgress {
  start(name: string, totalBytes: number): { advance(bytes: number): void; stop(): void };
}

export interface ModelDownloadOptions {
  /** `name#stage`, `name@vX.Y.Z` or `name@latest`. */
  reference: string;
  /** Folder the files are written to (created when missing). */
  outDir: string;
  registry: Pick<RegistryService, 'which'>;
  git: GitRunner;
  /** The tracking branch, for the fallback to the run's stored artifacts. */
  store?: Pick<TrackingStore, 'findRun' | 'readArtifact'>;
  /** GitHub releases; without it only the tracking branch is used. */
  releases?: ReleaseClient;
  progress?: DownloadProgress;
}

/** A file that was written. */
export interface DownloadedFile {
  name: string;
  /** Absolute path. */
  path: string;
  size: number;
  sha256: string;
  source: 'release' | 'tracking-branch';
}

export interface ModelDownloadResult {
  model: string;
  version: string;
  /** The registration tag, e.g. 'churn@v1.2.0'. */
  tag: string;
  commit: string;
  files: DownloadedFile[];
}

interface WantedFile extends TagArtifact {
  name: string;
}

/** Downloads a registered version's files; see the module comment. */
export async function downloadModel(options: ModelDownloadOptions): Promise<ModelDownloadResult> {
  const which = await options.registry.which(options.reference);
  if (which.version === null) {
    throw new ModelDownloadError(
      options.reference,
      `'${options.reference}' points at commit ${which.commit.slice(0, 12)}, which has no registered version.`,
      `Register that commit first: ghml model register ${which.model}`,
    );
  }
  const state = await readRegistry(options.git);
  const version = state.models
    .find((m) => m.name === which.model)
    ?.versions.find((v) => v.version === which.version);
  const metadata = version?.registered.metadata;
  const tag = version?.registered.tag ?? `${which.model}@${which.version}`;
  const wanted = wantedFiles(options.reference, tag, metadata?.artifacts ?? []);

  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const release = options.releases ? await options.releases.findByTag(tag) : undefined;
  let run: StoredRun | undefined;
  const files: DownloadedFile[] = [];
  for (const file of wanted) {
    const asset = release?.assets.find((a) => a.name === file.name && a.state === 'uploaded');
    if (options.releases && release && asset) {
      const stream = await options.releases.downloadAsset(asset.id);
      files.push(await writeVerified(stream, outDir, file, 'release', options.progress, release));
      continue;
    }
    run ??= await findRun(options, metadata?.runId);
    const entry =
      run?.record.artifacts.find(
        (a) => a.stored && a.sha256 === file.sha256 && a.path.split('/').pop() === file.name,
      ) ?? run?.record.artifacts.find((a) => a.stored && a.sha256 === file.sha256);
    if (!run || !entry || !options.store) {
      throw new ModelDownloadError(
        options.reference,
        `Model file '${file.name}' of ${tag} is not in a GitHub release` +
          (run ? ` nor stored with run ${run.id}` : ' and no run with it was found') +
          '; nothing more was downloaded.',
        options.releases
          ? `Publish the release: ghml model release ${tag}`
          : 'Set GITHUB_TOKEN (or GH_TOKEN) and use a github.com origin to download from the release.',
      );
    }
    const data = await options.store.readArtifact(run, entry.path);
    files.push(
      await writeVerified(Readable.from([data]), outDir, file, 'tracking-branch', options.progress),
    );
  }
  return {
    model: which.model,
    version: which.version,
    tag,
    commit: which.commit,
    files,
  };
}

/** The file name a tag artifact is saved under: the last segment of its URI. */
export function artifactFileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const last = path.split(/[/:]/).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function wantedFiles(reference: string, tag: string, artifacts: TagArtifact[]): WantedFile[] {
  if (artifacts.length === 0) {
    throw new ModelDownloadError(
      reference,
      `${tag} records no model files in its tag message.`,
      'Register a version with model files (registry.models.<name>.path in ghml.yml, or --path).',
    );
  }
  const seen = new Set<string>();
  return artifacts.map((artifact) => {
    const name = artifactFileName(artifact.uri);
    if (!isSafeFileName(name) || seen.has(name)) {
      throw new ModelDownloadError(
        reference,
        `${tag} records a model file named '${name}' that cannot be written safely.`,
        'Its tag message was edited by hand; register a new version with ghml.',
      );
    }
    seen.add(name);
    return { ...artifact, name };
  });
}

async function findRun(
  options: ModelDownloadOptions,
  runId: string | undefined,
): Promise<StoredRun | undefined> {
  if (runId === undefined || !options.store) return undefined;
  try {
    return await options.store.findRun(runId);
  } catch {
    // A run that is not here is reported with the file that needed it.
    return undefined;
  }
}

/**
 * Streams `source` to a temp file next to the target while hashing it; renames it into place
 * only when sha256 and size match. Stops early once more bytes arrive than the tag records.
 */
async function writeVerified(
  source: Readable,
  dir: string,
  file: WantedFile,
  origin: DownloadedFile['source'],
  progress: DownloadProgress | undefined,
  release?: ReleaseInfo,
): Promise<DownloadedFile> {
  const target = join(dir, file.name);
  const temp = join(dir, `.${file.name}.${randomBytes(6).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const bar = progress?.start(file.name, file.size);
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > file.size) {
        callback(new SizeExceededError());
        return;
      }
      hash.update(chunk);
      bar?.advance(chunk.length);
      callback(null, chunk);
    },
  });
  const where = release ? `the release of '${release.tag}'` : 'the tracking branch';
  try {
    try {
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    } catch (error) {
      if (!(error instanceof SizeExceededError)) throw error;
    }
    const actual = size > file.size ? `of more than ${file.size} bytes` : hash.digest('hex');
    if (actual !== file.sha256 || size !== file.size) {
      throw new ChecksumMismatchError(file.name, file.sha256, actual, where);
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    bar?.stop();
  }
  return { name: file.name, path: target, size, sha256: file.sha256, source: origin };
}

class SizeExceededError extends Error {
  constructor() {
    super('more bytes than recorded');
    this.name = 'SizeExceededError';
  }
}
