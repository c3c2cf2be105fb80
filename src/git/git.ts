/**
 * The one door to git. Every git process ghml starts goes through `createGit()`: porcelain
 * calls (remotes, fetch, log) through simple-git (porcelain.ts), plumbing through one exec
 * function (no shell, GIT_TERMINAL_PROMPT=0, LC_ALL=C), and two long-lived plumbing processes
 * for bulk work (cat-file --batch to read, mktree --batch to write trees).
 * Nothing here knows about runs.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GitExecOptions, GitResult, GitRunner } from './git-runner.js';
import {
  GitCommandError,
  InvalidGitArgumentError,
  NoCommitsError,
  NotARepositoryError,
} from './git-errors.js';
import { execGitRaw } from './git-exec.js';
import { IDENTITY_MISSING } from './fallback-identity.js';
import { openObjectReader, type ObjectReader } from './object-reader.js';
import { openTreeWriter, type TreeWriter } from './tree-writer.js';
import type { SimpleGit } from 'simple-git';
import { porcelainErrorText, porcelainGit } from './porcelain.js';
import { parseLsTree, type TreeEntry } from './tree-entry.js';

/** A configured remote. */
export interface GitRemote {
  name: string;
  fetchUrl: string;
  pushUrl: string;
}

/** Options of a fetch. */
export interface FetchOptions {
  prune?: boolean;
  depth?: number;
  /** A partial-clone filter, e.g. 'blob:none'. */
  filter?: string;
}

/** What a fetch did: ok, or git's message. */
export interface FetchOutcome {
  ok: boolean;
  stderr: string;
}

/** Name and email git records as author and committer. */
export interface GitIdentity {
  name: string;
  email: string;
}

export interface CommitTreeOptions {
  tree: string;
  parents: readonly string[];
  message: string;
  /** Used only when the repository has no user.name/user.email (a fresh CI runner). */
  fallbackIdentity?: GitIdentity;
}

/** The full door to git; services that only run commands may depend on `GitRunner` instead. */
export interface Git extends GitRunner {
  /** Like `exec` but returns stdout as bytes. */
  execBuffer(args: readonly string[], options?: GitExecOptions): Promise<Buffer>;
  /** Absolute path of the work tree; the git dir for a bare repository. */
  topLevel(): Promise<string>;
  /** Absolute path of the git dir. */
  gitDir(): Promise<string>;
  /** Full object id of `rev`; throws GitCommandError when it does not resolve. */
  revParse(rev: string): Promise<string>;
  /** Full object id of `rev`, or undefined when it does not resolve. */
  tryRevParse(rev: string): Promise<string | undefined>;
  /** The commit HEAD points at; throws NoCommitsError in an empty repository. */
  headCommit(): Promise<string>;
  /** The checked-out branch's short name, or null on a detached HEAD. */
  currentBranch(): Promise<string | null>;
  /** True when tracked files differ from HEAD (staged or not); untracked files are ignored. */
  isDirty(): Promise<boolean>;
  remotes(): Promise<GitRemote[]>;
  hasRemote(name: string): Promise<boolean>;
  /** Fetches `refspecs` from `remote` (quietly, no tags); never throws for a failed fetch. */
  fetch(remote: string, refspecs: readonly string[], options?: FetchOptions): Promise<FetchOutcome>;
  /**
   * Hash and full message of the commits `range` selects (e.g. ['<tip>', '^<other>']),
   * oldest first.
   */
  commitMessages(range: readonly string[]): Promise<Array<{ oid: string; message: string }>>;
  /** True in a shallow clone (e.g. actions/checkout with its default depth 1). */
  isShallow(): Promise<boolean>;
  /** True when objects may be missing locally and fetched on demand (a partial clone). */
  isPartialClone(): Promise<boolean>;
  /**
   * The remote missing objects are fetched from in a partial clone, or undefined in a full
   * clone. `git clone --filter` marks it with `remote.<name>.promisor`, a filtered fetch into
   * a full clone with `extensions.partialClone`: both count.
   */
  promisorRemote(): Promise<string | undefined>;
  /** True when `ancestor` is reachable from `descendant` (false when either is unknown). */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /**
   * Lists refs matching `pattern` (e.g. 'refs/tags'), one record per ref with the given
   * for-each-ref fields (e.g. ['refname', 'objectname', 'creatordate:unix']).
   */
  forEachRef(
    patterns: string | readonly string[],
    fields: readonly string[],
  ): Promise<Array<Record<string, string>>>;
  /** Entries of the tree at `treeish:path` ('' = the root); throws when it does not exist. */
  lsTree(treeish: string, path?: string): Promise<TreeEntry[]>;
  /** Like lsTree, but undefined when the tree or the path does not exist. */
  tryLsTree(treeish: string, path?: string): Promise<TreeEntry[] | undefined>;
  /** Starts one `cat-file --batch` process for many reads; close it when done. */
  openObjectReader(): ObjectReader;
  /** Starts one `mktree --batch` process for many tree writes; close it when done. */
  openTreeWriter(): TreeWriter;
  /** Stores each buffer as a blob (no filters applied); returns their oids in order. */
  writeBlobs(contents: ReadonlyArray<Buffer | string>): Promise<string[]>;
  /** Stores each file on disk as a blob (no filters applied); returns their oids in order. */
  writeBlobFiles(paths: readonly string[]): Promise<string[]>;
  /** Creates a commit object (no ref is touched) and returns its oid. */
  commitTree(options: CommitTreeOptions): Promise<string>;
  /**
   * Compare-and-swap of a ref: sets `ref` to `newOid` only if it currently is `oldOid`
   * (null: only if it does not exist). Returns false when the ref moved or is locked.
   */
  tryUpdateRef(
    ref: string,
    newOid: string,
    oldOid: string | null,
    reason?: string,
  ): Promise<boolean>;
  /** Sets `ref` unconditionally. */
  updateRef(ref: string, newOid: string, reason?: string): Promise<void>;
  /** Value of a config key, or undefined when unset. */
  tryConfig(key: string): Promise<string | undefined>;
}

export interface CreateGitOptions {
  /** Environment for git processes; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const REF_MOVED =
  /cannot lock ref|is at [0-9a-f]+ but expected|reference already exists|File exists/i;

function assertArgument(what: string, value: string): void {
  if (value.length === 0 || /[\n\0]/.test(value) || value.startsWith('-')) {
    throw new InvalidGitArgumentError(what, value);
  }
}

class GitDoor implements Git {
  private shallow: boolean | undefined;
  private simple: SimpleGit | undefined;

  constructor(
    readonly cwd: string,
    private readonly absoluteGitDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async tryExec(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    const raw = await execGitRaw(this.cwd, args, this.env, options);
    return { exitCode: raw.exitCode, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr };
  }

  async exec(args: readonly string[], options: GitExecOptions = {}): Promise<string> {
    return (await this.execBuffer(args, options)).toString('utf8');
  }

  async execBuffer(args: readonly string[], options: GitExecOptions = {}): Promise<Buffer> {
    const raw = await execGitRaw(this.cwd, args, this.env, options);
    if (raw.exitCode !== 0) throw new GitCommandError(args, raw.exitCode, raw.stderr);
    return raw.stdout;
  }

  topLevel(): Promise<string> {
    return Promise.resolve(this.cwd);
  }

  gitDir(): Promise<string> {
    return Promise.resolve(this.absoluteGitDir);
  }

  async revParse(rev: string): Promise<string> {
    const oid = await this.tryRevParse(rev);
    if (oid === undefined) {
      throw new GitCommandError(['rev-parse', '--verify', rev], 128, `unknown revision '${rev}'`);
    }
    return oid;
  }

  async tryRevParse(rev: string): Promise<string | undefined> {
    assertArgument('revision', rev);
    const result = await this.tryExec([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      rev,
    ]);
    const oid = result.stdout.trim();
    return result.exitCode === 0 && oid ? oid : undefined;
  }

  async headCommit(): Promise<string> {
    const oid = await this.tryRevParse('HEAD^{commit}');
    if (oid === undefined) throw new NoCommitsError();
    return oid;
  }

  async currentBranch(): Promise<string | null> {
    const result = await this.tryExec(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.exitCode === 0 ? result.stdout.trim() : null;
  }

  async isDirty(): Promise<boolean> {
    const out = await this.exec([
      'status',
      '--porcelain=v1',
      '-z',
      '--untracked-files=no',
      '--ignore-submodules=none',
    ]);
    return out.length > 0;
  }

  async remotes(): Promise<GitRemote[]> {
    const remotes = await this.porcelain().getRemotes(true);
    return remotes.map((r) => ({
      name: r.name,
      fetchUrl: r.refs.fetch,
      pushUrl: r.refs.push || r.refs.fetch,
    }));
  }

  async fetch(
    remote: string,
    refspecs: readonly string[],
    options: FetchOptions = {},
  ): Promise<FetchOutcome> {
    assertArgument('remote', remote);
    for (const refspec of refspecs) assertArgument('refspec', refspec);
    const flags = ['--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', '--quiet'];
    if (options.prune) flags.push('--prune');
    if (options.depth !== undefined) flags.push(`--depth=${options.depth}`);
    if (options.filter !== undefined) flags.push(`--filter=${options.filter}`);
    try {
      await this.porcelain().fetch([...flags, remote, ...refspecs]);
      return { ok: true, stderr: '' };
    } catch (error) {
      return { ok: false, stderr: porcelainErrorText(error) };
    }
  }

  async commitMessages(range: readonly string[]): Promise<Array<{ oid: string; message: string }>> {
    const options: Record<string, null> = {
      '--reverse': null,
      '--no-show-signature': null,
      '--no-decorate': null,
    };
    for (const rev of range) {
      assertArgument('revision', rev.replace(/^\^/, ''));
      options[rev] = null;
    }
    const log = await this.porcelain().log<{ oid: string; message: string }>({
      ...options,
      format: { oid: '%H', message: '%B' },
      splitter: '\x1e',
    });
    return log.all.map((entry) => ({ oid: entry.oid.trim(), message: entry.message }));
  }

  private porcelain(): SimpleGit {
    this.simple ??= porcelainGit(this.cwd, this.env);
    return this.simple;
  }

  async hasRemote(name: string): Promise<boolean> {
    return (await this.tryConfig(`remote.${name}.url`)) !== undefined;
  }

  async isShallow(): Promise<boolean> {
    this.shallow ??= (await this.exec(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
    return this.shallow;
  }

  async isPartialClone(): Promise<boolean> {
    return (await this.promisorRemote()) !== undefined;
  }

  async promisorRemote(): Promise<string | undefined> {
    const extension = await this.tryConfig('extensions.partialClone');
    if (extension !== undefined) return extension;
    const result = await this.tryExec([
      'config',
      '--type=bool',
      '--get-regexp',
      '^remote\\..+\\.promisor$',
    ]);
    for (const line of result.stdout.split('\n')) {
      const match = /^remote\.(.+)\.promisor true$/.exec(line);
      if (match?.[1]) return match[1];
    }
    return undefined;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertArgument('revision', ancestor);
    assertArgument('revision', descendant);
    const result = await this.tryExec(['merge-base', '--is-ancestor', ancestor, descendant]);
    return result.exitCode === 0;
  }

  async forEachRef(
    patterns: string | readonly string[],
    fields: readonly string[],
  ): Promise<Array<Record<string, string>>> {
    const list = typeof patterns === 'string' ? [patterns] : [...patterns];
    for (const pattern of list) assertArgument('ref pattern', pattern);
    if (fields.length === 0) return [];
    const format = fields.map((field) => `%(${field})%00`).join('');
    const out = await this.exec([
      'for-each-ref',
      `--format=${format}`,
      '--end-of-options',
      ...list,
    ]);
    const parts = out.split('\0');
    const records: Array<Record<string, string>> = [];
    // Each record is N NUL-terminated fields followed by the newline for-each-ref adds.
    for (let i = 0; i + fields.length <= parts.length - 1; i += fields.length) {
      const record: Record<string, string> = {};
      fields.forEach((field, j) => {
        const value = parts[i + j] ?? '';
        record[field] = j === 0 && i > 0 ? value.slice(1) : value;
      });
      records.push(record);
    }
    return records;
  }

  async lsTree(treeish: string, path = ''): Promise<TreeEntry[]> {
    const entries = await this.tryLsTree(treeish, path);
    if (entries === undefined) {
      throw new GitCommandError(
        ['ls-tree', `${treeish}:${path}`],
        128,
        `no tree at '${treeish}:${path}'`,
      );
    }
    return entries;
  }

  async tryLsTree(treeish: string, path = ''): Promise<TreeEntry[] | undefined> {
    assertArgument('tree', treeish);
    if (/[\n\0]/.test(path)) throw new InvalidGitArgumentError('path', path);
    const result = await execGitRaw(
      this.cwd,
      ['ls-tree', '-z', '--end-of-options', `${treeish}:${path}`],
      this.env,
    );
    if (result.exitCode !== 0) return undefined;
    return parseLsTree(result.stdout.toString('utf8'));
  }

  openObjectReader(): ObjectReader {
    return openObjectReader(this.cwd, this.env);
  }

  openTreeWriter(): TreeWriter {
    return openTreeWriter(this.cwd, this.env);
  }

  async writeBlobs(contents: ReadonlyArray<Buffer | string>): Promise<string[]> {
    return Promise.all(
      contents.map(async (input) =>
        (await this.exec(['hash-object', '-w', '--no-filters', '--stdin'], { input })).trim(),
      ),
    );
  }

  async writeBlobFiles(paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    for (const path of paths)
      if (/[\n\0]/.test(path)) throw new InvalidGitArgumentError('file path', path);
    const input = paths.map((p) => `${resolve(this.cwd, p)}\n`).join('');
    const out = await this.exec(['hash-object', '-w', '--no-filters', '--stdin-paths'], { input });
    return out.trim().split('\n');
  }

  async commitTree(options: CommitTreeOptions): Promise<string> {
    const args = ['commit-tree', options.tree];
    for (const parent of options.parents) args.push('-p', parent);
    args.push('-F', '-');
    let result = await execGitRaw(this.cwd, args, this.env, { input: options.message });
    if (result.exitCode !== 0 && options.fallbackIdentity && IDENTITY_MISSING.test(result.stderr)) {
      const { name, email } = options.fallbackIdentity;
      result = await execGitRaw(this.cwd, args, this.env, {
        input: options.message,
        env: {
          GIT_AUTHOR_NAME: name,
          GIT_AUTHOR_EMAIL: email,
          GIT_COMMITTER_NAME: name,
          GIT_COMMITTER_EMAIL: email,
        },
      });
    }
    if (result.exitCode !== 0) throw new GitCommandError(args, result.exitCode, result.stderr);
    return result.stdout.toString('utf8').trim();
  }

  async tryUpdateRef(
    ref: string,
    newOid: string,
    oldOid: string | null,
    reason = 'ghml',
  ): Promise<boolean> {
    assertArgument('ref', ref);
    const args = ['update-ref', '-m', reason, ref, newOid, oldOid ?? ''];
    const result = await this.tryExec(args);
    if (result.exitCode === 0) return true;
    if (REF_MOVED.test(result.stderr)) return false;
    throw new GitCommandError(args, result.exitCode, result.stderr);
  }

  async updateRef(ref: string, newOid: string, reason = 'ghml'): Promise<void> {
    assertArgument('ref', ref);
    await this.exec(['update-ref', '-m', reason, ref, newOid]);
  }

  async tryConfig(key: string): Promise<string | undefined> {
    assertArgument('config key', key);
    const result = await this.tryExec(['config', '--get', key]);
    return result.exitCode === 0 ? result.stdout.replace(/\n$/, '') : undefined;
  }
}

/**
 * Opens the repository containing `cwd`. Throws NotARepositoryError when there is none.
 * `cwd` of the returned Git is the work tree's top level (the git dir when bare).
 */
export async function createGit(cwd: string, options: CreateGitOptions = {}): Promise<Git> {
  const env = options.env ?? process.env;
  let dir: string;
  try {
    dir = await realpath(resolve(cwd));
  } catch {
    throw new NotARepositoryError(cwd);
  }
  const result = await execGitRaw(
    dir,
    ['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--show-toplevel'],
    env,
  );
  const [bare, gitDir, topLevel] = result.stdout.toString('utf8').split('\n');
  if (!gitDir || (bare !== 'true' && bare !== 'false')) throw new NotARepositoryError(cwd);
  const root = bare === 'true' ? gitDir : topLevel;
  if (!root) throw new NotARepositoryError(cwd);
  return new GitDoor(root, gitDir, env);
}
