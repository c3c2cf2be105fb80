/**
 * Finds the files of a model version before anything is tagged. A path is looked up among the
 * run's artifacts — a file, or a folder (an MLflow model folder) registered whole with every
 * artifact under it — and in the work tree: `--path` values relative to the current folder
 * (the run's artifacts first with `--run`, the work tree first without), ghml.yml's
 * `registry.models.<name>.path` relative to the repository (the run's artifacts first). Each
 * file's bytes are located (branch, local cache, artifact store, this machine) but not read, so
 * any size works. A missing file, a file no place holds, or an unsafe path recorded by a run is
 * an error here, so a registration never leaves a tag without its model.
 */
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { artifactPathProblem } from '../../artifacts/artifact-path.js';
import { hashFile } from '../../artifacts/local-content-store.js';
import type { ArtifactEntry } from '../../tracking/run-record.js';
import type { StoredRun } from '../../tracking/store/tracking-store.js';
import type { ModelBytes } from './model-content.js';
import { InvalidModelFileError, ModelFileMissingError } from './release-errors.js';
import type { RunFileLocator } from './run-file-locator.js';

/** A model file: where its bytes are and what they must hash to. */
export interface ModelFile {
  /**
   * What it is called: for a file, its release asset name (the basename, sanitised as GitHub
   * does); for a file of a registered folder, its path inside the folder.
   */
  name: string;
  /** The path as configured or given. */
  path: string;
  /** Its path among the run's artifacts, when it came from them. */
  runPath?: string;
  /** Where it was found. */
  origin: 'artifact' | 'worktree';
  size: number;
  /** Hex sha256. */
  sha256: string;
  bytes: ModelBytes;
}

/** What a version is registered with. */
export interface ModelSelection {
  files: ModelFile[];
  /** Set when a run folder is registered whole; `files` are then the files under it. */
  folder?: { path: string; archiveName: string };
}

/** Where model files are looked up. */
export interface ModelFileSources {
  /** Repository root (work tree). */
  root: string;
  /** Directory `--path` values are relative to (the command's working directory). */
  cwd: string;
  /** The run the model came from. */
  run?: StoredRun;
  /** Where the run's artifacts are (branch, cache, store, this machine). */
  locator?: RunFileLocator;
}

/** GitHub's asset names: characters other than letters, digits and `._+-` become '.'. */
export function assetName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base.replace(/[^A-Za-z0-9._+-]/g, '.').replace(/^\.+|\.+$/g, '');
}

/** True for a name safe to create in a download folder: no separators, no leading dot. */
export function isSafeFileName(name: string): boolean {
  // A tampered tag message must not make `model get` write a dotfile.
  return /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,254}$/.test(name);
}

/** The release asset name of a registered folder: `<folder's name>.tar.gz`. */
export function archiveName(folder: string): string {
  return `${assetName(folder) || 'model'}.tar.gz`;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Resolves `--path` values, relative to `cwd`: the run's artifacts first when `runFirst`
 * (`--run` was given), else the work tree first.
 */
export async function resolveGivenFiles(
  paths: readonly string[],
  sources: ModelFileSources,
  options: { runFirst?: boolean } = {},
): Promise<ModelSelection> {
  return resolvePaths(paths, sources, {
    runFirst: options.runFirst ?? false,
    base: sources.cwd,
  });
}

/** Resolves ghml.yml paths: the run's artifacts first, then the repository's work tree. */
export async function resolveConfiguredFiles(
  paths: readonly string[],
  sources: ModelFileSources,
): Promise<ModelSelection> {
  return resolvePaths(paths, sources, { runFirst: true, base: sources.root });
}

async function resolvePaths(
  paths: readonly string[],
  sources: ModelFileSources,
  options: { runFirst: boolean; base: string },
): Promise<ModelSelection> {
  const parts: ModelSelection[] = [];
  for (const path of paths) {
    const fromRun = (): Promise<ModelSelection | undefined> => runPart(path, sources);
    const fromTree = async (): Promise<ModelSelection | undefined> => {
      const file = await workTreeFile(path, resolve(options.base, path), sources.root);
      return file === undefined ? undefined : { files: [file] };
    };
    const part = options.runFirst
      ? ((await fromRun()) ?? (await fromTree()))
      : ((await fromTree()) ?? (await fromRun()));
    if (part === undefined) {
      const run = sources.run;
      throw new ModelFileMissingError(
        path,
        run ? `among the artifacts of run ${run.id} or in the work tree` : 'in the work tree',
      );
    }
    parts.push(part);
  }
  const folder = parts.find((p) => p.folder !== undefined);
  if (folder !== undefined && parts.length > 1) {
    throw new InvalidModelFileError(
      folder.folder?.path ?? '',
      'a folder is registered on its own, with no other paths',
      'Register the folder alone (--path <folder>), or name its files one by one.',
    );
  }
  if (folder !== undefined) return folder;
  return { files: checkNames(parts.flatMap((p) => p.files)) };
}

/** The run's artifact `path` (a file), or every artifact under it (a folder), or undefined. */
async function runPart(
  path: string,
  sources: ModelFileSources,
): Promise<ModelSelection | undefined> {
  const { run, locator } = sources;
  if (run === undefined || locator === undefined) return undefined;
  const clean = path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (artifactPathProblem(clean) !== undefined) return undefined;
  const artifacts = run.record.artifacts;
  const exact = artifacts.find((a) => a.path === clean);
  if (exact !== undefined) {
    const file = await runFile(path, run, exact, assetName(clean), locator);
    return { files: [file] };
  }
  const under = artifacts.filter((a) => a.path.startsWith(`${clean}/`));
  if (under.length === 0) return undefined;
  const files: ModelFile[] = [];
  for (const entry of [...under].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const problem = artifactPathProblem(entry.path);
    if (problem !== undefined) {
      throw new InvalidModelFileError(
        path,
        `run ${run.id} records a file '${entry.path.slice(0, 300)}' under it whose path ${problem}`,
        'The run record is damaged or was made to escape the folder; nothing was registered. Register another run.',
      );
    }
    files.push(await runFile(path, run, entry, entry.path.slice(clean.length + 1), locator));
  }
  const name = archiveName(clean.split('/').pop() ?? clean);
  if (!isSafeFileName(name)) {
    throw new InvalidModelFileError(
      path,
      'its name is empty once sanitised',
      'Name the folder with letters, digits, ., _, + or -.',
    );
  }
  return { files, folder: { path: clean, archiveName: name } };
}

async function runFile(
  given: string,
  run: StoredRun,
  entry: ArtifactEntry,
  name: string,
  locator: RunFileLocator,
): Promise<ModelFile> {
  const bytes = await locator.locate(run, entry);
  if (bytes === undefined) {
    const store = locator.store;
    throw new ModelFileMissingError(
      entry.path,
      `anywhere: run ${run.id} keeps it off the tracking branch, and it is neither in the local ` +
        `cache, ${store ? `in ${store.url}` : 'in an artifact store (none is set)'}, nor on this machine`,
      run.record.store
        ? `Upload it from the machine that recorded the run (ghml push there), or set artifacts.store in ghml.yml to ${run.record.store.url}.`
        : 'Register on the machine that recorded the run, or record runs with an artifact store (artifacts.store in ghml.yml).',
    );
  }
  return {
    name,
    path: given,
    runPath: entry.path,
    origin: 'artifact',
    size: entry.size,
    sha256: entry.sha256,
    bytes,
  };
}

async function workTreeFile(
  shown: string,
  full: string,
  root: string,
): Promise<ModelFile | undefined> {
  let real: string;
  try {
    real = await realpath(full);
  } catch {
    return undefined;
  }
  const realRoot = await realpath(root);
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new InvalidModelFileError(
      shown,
      'it is outside the repository',
      'Model files must be inside the repository (symlinks are followed and checked too).',
    );
  }
  const info = await stat(real);
  if (!info.isFile()) {
    throw new InvalidModelFileError(
      shown,
      'it is not a regular file',
      "Name each model file; a folder is registered whole only from the run's artifacts (--run <id> --path <folder>).",
    );
  }
  const { sha256, size } = await hashFile(real);
  return {
    name: assetName(shown),
    path: shown,
    origin: 'worktree',
    size,
    sha256,
    bytes: { sha256, size, content: { kind: 'file', file: real }, where: `'${shown}'` },
  };
}

function checkNames(files: ModelFile[]): ModelFile[] {
  const seen = new Map<string, string>();
  for (const file of files) {
    if (!isSafeFileName(file.name)) {
      throw new InvalidModelFileError(
        file.path,
        'its file name is empty once sanitised',
        'Rename the file to use letters, digits, ., _, + or -.',
      );
    }
    const other = seen.get(file.name);
    if (other !== undefined) {
      throw new InvalidModelFileError(
        file.path,
        `it has the same release asset name '${file.name}' as '${other}'`,
        'Model files become release assets by file name; give each a different name, or register their folder whole.',
      );
    }
    seen.set(file.name, file.path);
  }
  return files;
}
