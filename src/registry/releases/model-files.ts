/**
 * Finds the files of a model version before anything is tagged: `--path` files in the work
 * tree, else ghml.yml's `registry.models.<name>.path`, looked up in the run's stored artifacts
 * on the tracking branch first and in the work tree second. A missing file is an error here,
 * so a registration never leaves a tag without its model.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { StoredRun } from '../../tracking/store/tracking-store.js';
import { InvalidModelFileError, ModelFileMissingError } from './release-errors.js';

/** A model file with its bytes, ready to upload and to describe in the tag message. */
export interface ModelFile {
  /** File and release asset name: the basename, sanitised as GitHub does for asset names. */
  name: string;
  /** The path as configured or given. */
  path: string;
  /** Where the bytes came from. */
  origin: 'artifact' | 'worktree';
  size: number;
  /** Hex sha256. */
  sha256: string;
  data: Buffer;
}

/** Where model files are looked up. */
export interface ModelFileSources {
  /** Repository root (work tree). */
  root: string;
  /** Directory `--path` values are relative to (the command's working directory). */
  cwd: string;
  /** The run the model came from; its stored artifacts are looked up first for ghml.yml paths. */
  run?: StoredRun;
  /** Reads a stored artifact of the run (TrackingStore.readArtifact). */
  readArtifact?: (run: StoredRun, path: string) => Promise<Buffer>;
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

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Resolves `--path` values: work-tree files only, relative to `cwd`. */
export async function resolveGivenFiles(
  paths: readonly string[],
  sources: ModelFileSources,
): Promise<ModelFile[]> {
  const files: ModelFile[] = [];
  for (const path of paths) {
    const full = resolve(sources.cwd, path);
    const data = await readWorkTreeFile(path, full, sources.root);
    if (data === undefined) throw new ModelFileMissingError(path, 'in the work tree');
    files.push(modelFile(path, 'worktree', data));
  }
  return checkNames(files);
}

/** Resolves ghml.yml paths: the run's stored artifacts first, then the repository's work tree. */
export async function resolveConfiguredFiles(
  paths: readonly string[],
  sources: ModelFileSources,
): Promise<ModelFile[]> {
  const files: ModelFile[] = [];
  for (const path of paths) {
    const clean = path.replace(/\\/g, '/').replace(/^\.\//, '');
    const { run, readArtifact } = sources;
    const entry = run?.record.artifacts.find((a) => a.path === clean && a.stored);
    if (run && entry && readArtifact) {
      files.push(modelFile(path, 'artifact', await readArtifact(run, clean)));
      continue;
    }
    const data = await readWorkTreeFile(path, resolve(sources.root, clean), sources.root);
    if (data === undefined) {
      const where = run
        ? `in the stored artifacts of run ${run.id} or in the work tree`
        : 'in the work tree';
      throw new ModelFileMissingError(path, where);
    }
    files.push(modelFile(path, 'worktree', data));
  }
  return checkNames(files);
}

function modelFile(path: string, origin: ModelFile['origin'], data: Buffer): ModelFile {
  return { name: assetName(path), path, origin, size: data.length, sha256: sha256Hex(data), data };
}

async function readWorkTreeFile(
  shown: string,
  full: string,
  root: string,
): Promise<Buffer | undefined> {
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
      'Name each model file; folders are not uploaded (archive them first).',
    );
  }
  return readFile(real);
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
        'Model files become release assets by file name; give each a different name.',
      );
    }
    seen.set(file.name, file.path);
  }
  return files;
}
