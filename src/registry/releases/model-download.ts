/**
 * `ghml model get`: resolves a reference (`name#stage`, `name@vX.Y.Z`, `name@latest`) through
 * the registry, then writes the version's files, each from the first place that has it:
 *   1. its GitHub release, through the release asset API (a registered folder: its `.tar.gz`,
 *      unpacked);
 *   2. the version in the artifact store (`<prefix>/models/<model>:<version>`);
 *   3. the run's artifacts: the tracking branch, the local cache, the run's manifest in the
 *      store, or the file the run recorded on this machine (`ghml runs get`'s sources).
 * Every file is checked against the sha256 and size in the tag message and written atomically
 * (temp file + rename); a file that does not match is removed and never appears under its name.
 * A file is written as `<out>/<name>`; a registered folder as `<out>/<folder's name>/<path>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { artifactPathProblem, resolveInside } from '../../artifacts/artifact-path.js';
import type { ArtifactStore, StoredRunManifest } from '../../artifacts/artifact-store.js';
import type { LocalContentStore } from '../../artifacts/local-content-store.js';
import { ManifestNotFoundError } from '../../artifacts/oci/oci-errors.js';
import { storeArtifactSource } from '../../artifacts/store-artifact-source.js';
import type { GitRunner } from '../../git/git-runner.js';
import {
  LOCAL_FILE_SOURCE,
  downloadRunArtifacts,
  localCacheSource,
  type ArtifactSource,
} from '../../tracking/run-artifact-download.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import { readRegistry } from '../registry-reader.js';
import type { RegistryService } from '../registry-service.js';
import type { TagArtifact, TagMetadata } from '../tags/tag-message.js';
import { extractModelArchive, type ArchiveMember } from './model-archive-reader.js';
import { archiveName, assetName, isSafeFileName } from './model-files.js';
import type { ReleaseClient, ReleaseInfo } from './release-client.js';
import { ChecksumMismatchError, ModelDownloadError } from './release-errors.js';

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
  /** The tracking branch, for the run's artifacts. */
  store?: TrackingStore;
  /** GitHub releases; without it the release is skipped. */
  releases?: ReleaseClient;
  /** The artifact store in force (the version's files, the run's large files). */
  artifactStore?: ArtifactStore | null;
  /** The local content cache, where runs recorded here keep their large files. */
  localCache?: LocalContentStore;
  progress?: DownloadProgress;
}

/** Where a file came from. */
export type DownloadSource = 'release' | 'artifact-store' | 'tracking-branch' | 'local';

/** A file that was written. */
export interface DownloadedFile {
  /** Its name: the file name, or its path inside a registered folder. */
  name: string;
  /** Absolute path. */
  path: string;
  size: number;
  sha256: string;
  source: DownloadSource;
}

export interface ModelDownloadResult {
  model: string;
  version: string;
  /** The registration tag, e.g. 'churn@v1.2.0'. */
  tag: string;
  commit: string;
  /** The folder written for a version registered as a folder, else null. */
  folder: string | null;
  files: DownloadedFile[];
}

interface WantedFile extends TagArtifact {
  /** File name, or path inside the folder. */
  name: string;
  /** Where it is written. */
  target: string;
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
  const metadata: TagMetadata = version?.registered.metadata ?? {};
  const tag = version?.registered.tag ?? `${which.model}@${which.version}`;
  const outDir = resolve(options.outDir);
  const layout = wantedFiles(options.reference, tag, metadata, outDir);
  await mkdir(outDir, { recursive: true });

  const done = new Map<string, DownloadedFile>();
  const left = (): WantedFile[] => layout.files.filter((f) => !done.has(f.name));
  const context = { ...options, tag, outDir };

  const release = options.releases ? await options.releases.findByTag(tag) : undefined;
  if (options.releases && release) {
    for (const file of await fromRelease(context, options.releases, release, metadata, layout)) {
      done.set(file.name, file);
    }
  }
  if (left().length > 0 && metadata.store !== undefined) {
    for (const file of await fromStoreVersion(
      context,
      which.model,
      which.version,
      metadata,
      left(),
    )) {
      done.set(file.name, file);
    }
  }
  if (left().length > 0) {
    for (const file of await fromRun(context, metadata.runId, left())) done.set(file.name, file);
  }
  return {
    model: which.model,
    version: which.version,
    tag,
    commit: which.commit,
    folder: layout.folder,
    files: layout.files.flatMap((f) => {
      const file = done.get(f.name);
      return file === undefined ? [] : [file];
    }),
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

type Context = ModelDownloadOptions & { tag: string; outDir: string };

interface Layout {
  files: WantedFile[];
  /** The folder written, for a folder version. */
  folder: string | null;
  /** The folder's path among the run's artifacts. */
  runFolder: string | null;
}

function wantedFiles(
  reference: string,
  tag: string,
  metadata: TagMetadata,
  outDir: string,
): Layout {
  const artifacts = metadata.artifacts ?? [];
  if (artifacts.length === 0) {
    throw new ModelDownloadError(
      reference,
      `${tag} records no model files in its tag message.`,
      'Register a version with model files (registry.models.<name>.path in ghml.yml, or --path).',
    );
  }
  const unsafe = (name: string): ModelDownloadError =>
    new ModelDownloadError(
      reference,
      `${tag} records a model file named '${name.slice(0, 300)}' that cannot be written safely.`,
      'Its tag message was edited by hand; register a new version with ghml.',
    );
  const seen = new Set<string>();
  const folder = metadata.folder;
  if (folder !== undefined) {
    const base = assetName(folder);
    if (artifactPathProblem(folder) !== undefined || !isSafeFileName(base)) throw unsafe(folder);
    const files = artifacts.map((artifact) => {
      const path = artifact.path ?? '';
      const name = path.startsWith(`${folder}/`) ? path.slice(folder.length + 1) : '';
      if (name === '' || artifactPathProblem(path) !== undefined || seen.has(name)) {
        throw unsafe(path || artifact.uri);
      }
      seen.add(name);
      return { ...artifact, name, target: resolveInside(outDir, `${base}/${name}`, tag) };
    });
    return { files, folder: join(outDir, base), runFolder: folder };
  }
  const files = artifacts.map((artifact) => {
    const name =
      artifact.path === undefined ? artifactFileName(artifact.uri) : assetName(artifact.path);
    if (!isSafeFileName(name) || seen.has(name)) throw unsafe(name);
    seen.add(name);
    return { ...artifact, name, target: join(outDir, name) };
  });
  return { files, folder: null, runFolder: null };
}

/** The files of the release: its assets, or a folder's archive unpacked. */
async function fromRelease(
  context: Context,
  releases: ReleaseClient,
  release: ReleaseInfo,
  metadata: TagMetadata,
  layout: Layout,
): Promise<DownloadedFile[]> {
  const uploaded = (name: string) =>
    release.assets.find((a) => a.name === name && a.state === 'uploaded');
  const where = `the release of '${release.tag}'`;
  if (layout.runFolder !== null) {
    const asset = uploaded(archiveName(layout.runFolder.split('/').pop() ?? layout.runFolder));
    if (asset === undefined) return [];
    // A version released after its registration records no archive: its files are checked.
    const archive = metadata.archive ?? { sha256: undefined, size: asset.size };
    const temp = join(context.outDir, `.ghml-get-${randomBytes(6).toString('hex')}.tar.gz`);
    try {
      await writeVerified(
        await releases.downloadAsset(asset.id),
        temp,
        { name: asset.name, sha256: archive.sha256, size: archive.size },
        where,
        context.progress,
      );
      const members = new Map<string, ArchiveMember>();
      const bars: Array<{ stop(): void }> = [];
      for (const file of layout.files) {
        const bar = context.progress?.start(file.name, file.size);
        if (bar) bars.push(bar);
        members.set(file.name, {
          sha256: file.sha256,
          size: file.size,
          target: file.target,
          ...(bar ? { progress: (bytes: number) => bar.advance(bytes) } : {}),
        });
      }
      try {
        await extractModelArchive(temp, members, {
          reference: context.reference,
          source: `${asset.name} from ${where}`,
        });
      } finally {
        for (const bar of bars) bar.stop();
      }
    } finally {
      await rm(temp, { force: true });
    }
    return layout.files.map((f) => downloaded(f, 'release'));
  }
  const out: DownloadedFile[] = [];
  for (const file of layout.files) {
    const asset = uploaded(file.name);
    if (asset === undefined) continue;
    await writeVerified(
      await releases.downloadAsset(asset.id),
      file.target,
      file,
      where,
      context.progress,
    );
    out.push(downloaded(file, 'release'));
  }
  return out;
}

/** Files of the version in the artifact store (those its manifest lists). */
async function fromStoreVersion(
  context: Context,
  model: string,
  version: string,
  metadata: TagMetadata,
  files: WantedFile[],
): Promise<DownloadedFile[]> {
  const store = context.artifactStore ?? null;
  if (store === null || metadata.store === undefined) return [];
  if (!metadata.store.reference.startsWith(`${store.url}/`)) return [];
  let manifest: StoredRunManifest;
  try {
    manifest = await store.readModelVersion(model, version);
  } catch (error) {
    if (error instanceof ManifestNotFoundError) return [];
    throw error;
  }
  if (manifest.manifestDigest !== metadata.store.digest) {
    throw new ModelDownloadError(
      context.reference,
      `${metadata.store.reference} is ${manifest.manifestDigest}, not the ${metadata.store.digest} that ${context.tag} records; nothing was downloaded from it.`,
      "The store's version tag was moved; ghml never moves one. Restore it, or download from the release or the run (the store tag is skipped only when it is gone).",
    );
  }
  const out: DownloadedFile[] = [];
  for (const file of files) {
    const listed = manifest.files.find((f) => f.path === file.path && f.sha256 === file.sha256);
    if (listed === undefined || listed.size !== file.size) continue;
    const bar = context.progress?.start(file.name, file.size);
    const temp = `${file.target}.ghml-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(resolve(file.target, '..'), { recursive: true });
      let last = 0;
      // fetchFile writes only bytes whose sha256 and size match.
      await store.fetchFile(manifest, listed.path, temp, {
        onProgress: (bytes) => {
          bar?.advance(bytes - last);
          last = bytes;
        },
      });
      await rename(temp, file.target);
    } finally {
      bar?.stop();
      await rm(temp, { force: true });
    }
    out.push(downloaded(file, 'artifact-store'));
  }
  return out;
}

/** The remaining files from the run's artifacts, through `ghml runs get`'s sources. */
async function fromRun(
  context: Context,
  runId: string | undefined,
  files: WantedFile[],
): Promise<DownloadedFile[]> {
  const run = await findRun(context, runId);
  const missing = (file: WantedFile, why: string): ModelDownloadError =>
    new ModelDownloadError(
      context.reference,
      `Model file '${file.name}' of ${context.tag} is not in a GitHub release nor in the artifact store, and ${why}; nothing more was downloaded.`,
      context.releases
        ? `Publish the release: ghml model release ${context.tag}`
        : 'Set GITHUB_TOKEN (or GH_TOKEN) and use a github.com origin to download from the release, or set artifacts.store in ghml.yml.',
    );
  if (run === undefined || context.store === undefined) {
    throw missing(files[0] as WantedFile, 'no run with it was found');
  }
  // Each file by its recorded path, or (tags that record none) by its sha256 and name.
  const entries = files.map((file) => {
    const all = run.record.artifacts;
    const entry =
      (file.path === undefined ? undefined : all.find((a) => a.path === file.path)) ??
      all.find((a) => a.sha256 === file.sha256 && a.path.split('/').pop() === file.name) ??
      all.find((a) => a.sha256 === file.sha256);
    if (entry === undefined) throw missing(file, `run ${run.id} does not have it`);
    if (entry.sha256 !== file.sha256 || entry.size !== file.size) {
      throw new ChecksumMismatchError(file.name, file.sha256, entry.sha256, `run ${run.id}`);
    }
    return { file, entry };
  });
  const staging = await mkdtemp(join(context.outDir, '.ghml-get-'));
  const sources: ArtifactSource[] = [
    ...(context.localCache ? [localCacheSource(context.localCache)] : []),
    ...(context.artifactStore ? [storeArtifactSource(context.artifactStore)] : []),
    LOCAL_FILE_SOURCE,
  ];
  try {
    const got = await downloadRunArtifacts(
      context.store,
      run,
      entries.map((e) => e.entry.path),
      staging,
      {
        force: true,
        sources,
        onFile: (entry) => {
          const bar = context.progress?.start(entry.path, entry.size);
          return (bytes) => {
            bar?.advance(bytes);
            bar?.stop();
          };
        },
      },
    );
    const out: DownloadedFile[] = [];
    for (const { file, entry } of entries) {
      const written = got.find((g) => g.path === entry.path);
      if (written === undefined) throw missing(file, `run ${run.id} did not give it`);
      await mkdir(resolve(file.target, '..'), { recursive: true });
      await rename(written.file, file.target);
      out.push(
        downloaded(
          file,
          written.from === 'branch' ? 'tracking-branch' : sourceKind(written.from, context),
        ),
      );
    }
    return out;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function sourceKind(from: string, context: Context): DownloadSource {
  return context.artifactStore && from === context.artifactStore.url ? 'artifact-store' : 'local';
}

function downloaded(file: WantedFile, source: DownloadSource): DownloadedFile {
  return { name: file.name, path: file.target, size: file.size, sha256: file.sha256, source };
}

async function findRun(
  context: Context,
  runId: string | undefined,
): Promise<StoredRun | undefined> {
  if (runId === undefined || !context.store) return undefined;
  try {
    return await context.store.findRun(runId);
  } catch {
    // A run that is not here is reported with the file that needed it.
    return undefined;
  }
}

/**
 * Streams `source` to a temp file next to `target` while hashing it; renames it into place
 * only when sha256 and size match. Stops early once more bytes arrive than recorded.
 */
async function writeVerified(
  source: Readable,
  target: string,
  file: { name: string; sha256: string | undefined; size: number },
  where: string,
  progress: DownloadProgress | undefined,
): Promise<void> {
  const temp = `${target}.ghml-${randomBytes(6).toString('hex')}.part`;
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
  try {
    try {
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    } catch (error) {
      if (!(error instanceof SizeExceededError)) throw error;
    }
    const actual = size > file.size ? `of more than ${file.size} bytes` : hash.digest('hex');
    if ((file.sha256 !== undefined && actual !== file.sha256) || size !== file.size) {
      throw new ChecksumMismatchError(
        file.name,
        file.sha256 ?? `${file.size} bytes`,
        actual,
        where,
      );
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    bar?.stop();
  }
}

class SizeExceededError extends Error {
  constructor() {
    super('more bytes than recorded');
    this.name = 'SizeExceededError';
  }
}
