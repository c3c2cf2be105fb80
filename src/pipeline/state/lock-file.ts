/**
 * `ghml.lock`: for each stage, what it last ran (or was restored) with: its command, the
 * hashes of its deps, its param values, its cache key and the hashes of its outputs. It sits
 * beside the definition and is meant to be committed, like dvc.lock (which ghml never
 * writes). JSON, not YAML, so a pipeline with thousands of deps loads in milliseconds; keys
 * are sorted so diffs stay small. Written atomically.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GhmlError } from '../../errors/ghml-error.js';
import { LOCK_FILE } from '../definition/stage-spec.js';

export const LOCK_FORMAT = 'ghml.lock/1';

export interface LockedPath {
  path: string;
  hash: string;
  size: number;
  nfiles: number;
}

export interface LockedOutput extends LockedPath {
  cache: boolean;
}

export interface LockedStage {
  cmd: string[];
  /** The cache key the stage ran with. */
  key: string;
  deps: LockedPath[];
  /** params file -> key -> value. */
  params: Record<string, Record<string, unknown>>;
  outs: LockedOutput[];
}

export class LockFileError extends GhmlError {
  constructor(file: string, reason: string) {
    super(`${file} cannot be read: ${reason}`, {
      hint: `restore it from git (git checkout -- ${file}), or delete it: ghml repro then reruns or restores every stage`,
      exitCode: 2,
    });
    this.name = 'LockFileError';
  }
}

function isLockedPath(value: unknown): value is LockedPath {
  const v = value as LockedPath;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.path === 'string' &&
    typeof v.hash === 'string' &&
    typeof v.size === 'number' &&
    typeof v.nfiles === 'number'
  );
}

function isLockedStage(value: unknown): value is LockedStage {
  const v = value as LockedStage;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.cmd) &&
    v.cmd.every((c) => typeof c === 'string') &&
    typeof v.key === 'string' &&
    Array.isArray(v.deps) &&
    v.deps.every(isLockedPath) &&
    typeof v.params === 'object' &&
    v.params !== null &&
    Array.isArray(v.outs) &&
    v.outs.every(isLockedPath)
  );
}

export class LockFile {
  private constructor(
    private readonly path: string,
    private readonly display: string,
    readonly stages: Map<string, LockedStage>,
  ) {}

  static read(root: string): LockFile {
    const path = join(root, LOCK_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new LockFile(path, LOCK_FILE, new Map());
      throw new LockFileError(LOCK_FILE, (error as Error).message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new LockFileError(LOCK_FILE, `not valid JSON (${(error as Error).message})`);
    }
    const lock = parsed as { format?: unknown; stages?: unknown };
    if (lock.format !== LOCK_FORMAT) {
      throw new LockFileError(
        LOCK_FILE,
        `its format is ${JSON.stringify(lock.format)}, expected '${LOCK_FORMAT}'`,
      );
    }
    const stages = new Map<string, LockedStage>();
    if (typeof lock.stages === 'object' && lock.stages !== null) {
      for (const [name, stage] of Object.entries(lock.stages)) {
        // A damaged entry only means that stage runs again.
        if (isLockedStage(stage)) stages.set(name, stage);
      }
    }
    return new LockFile(path, LOCK_FILE, stages);
  }

  get(name: string): LockedStage | undefined {
    return this.stages.get(name);
  }

  set(name: string, stage: LockedStage): void {
    this.stages.set(name, stage);
  }

  /** The file's text: stages sorted by name, one field per line. */
  format(): string {
    const stages: Record<string, LockedStage> = {};
    for (const name of [...this.stages.keys()].sort())
      stages[name] = this.stages.get(name) as LockedStage;
    return `${JSON.stringify({ format: LOCK_FORMAT, stages }, null, 2)}\n`;
  }

  /** Writes the file atomically when its text changed. */
  write(): void {
    const text = this.format();
    try {
      if (readFileSync(this.path, 'utf8') === text) return;
    } catch {
      // not there yet
    }
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, text);
      renameSync(temp, this.path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new LockFileError(this.display, `could not be written: ${(error as Error).message}`);
    }
  }
}
