/**
 * Writes tree objects through ONE long-lived `git mktree -z --batch --missing` process.
 * `--missing` because entries copied from existing trees may name blobs a partial clone has
 * not fetched: checking them would download them one by one.
 */
import type { ChildProcess } from 'node:child_process';
import { InvalidGitArgumentError } from './git-errors.js';
import { startBatchGit } from './git-exec.js';
import { assertEntryName, type TreeEntry } from './tree-entry.js';

export interface TreeWriter {
  /** Writes a tree holding `entries` (any order, names unique, at least one) and returns its oid. */
  write(entries: readonly TreeEntry[]): Promise<string>;
  close(): Promise<void>;
}

const ARGS = ['mktree', '-z', '--batch', '--missing'] as const;

class BatchTreeWriter implements TreeWriter {
  private readonly child: ChildProcess;
  private readonly queue: Array<{ resolve(oid: string): void; reject(error: Error): void }> = [];
  private partial = '';
  private failure: Error | undefined;
  private closed = false;
  private readonly exited: Promise<void>;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    const batch = startBatchGit(
      cwd,
      ARGS,
      env,
      // mktree prints only hex oids and newlines, so a chunk never splits a character.
      (chunk) => this.onData(chunk.toString('latin1')),
      (error) => this.fail(error),
    );
    this.child = batch.child;
    this.exited = batch.exited;
  }

  write(entries: readonly TreeEntry[]): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('tree writer is closed'));
    if (entries.length === 0) {
      return Promise.reject(new InvalidGitArgumentError('tree', '(empty)'));
    }
    const seen = new Set<string>();
    let input = '';
    for (const entry of entries) {
      assertEntryName(entry.name);
      if (seen.has(entry.name)) {
        return Promise.reject(new InvalidGitArgumentError('tree (duplicate entry)', entry.name));
      }
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(entry.oid)) {
        return Promise.reject(new InvalidGitArgumentError('object id', entry.oid));
      }
      seen.add(entry.name);
      input += `${entry.mode} ${entry.type} ${entry.oid}\t${entry.name}\0`;
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      // An empty record ends the tree in --batch mode.
      this.child.stdin?.write(`${input}\0`);
    });
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.child.stdin?.end();
    }
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.queue.splice(0)) pending.reject(this.failure);
  }

  private onData(text: string): void {
    this.partial += text;
    let newline = this.partial.indexOf('\n');
    while (newline >= 0) {
      const line = this.partial.slice(0, newline);
      this.partial = this.partial.slice(newline + 1);
      this.queue.shift()?.resolve(line.trim());
      newline = this.partial.indexOf('\n');
    }
  }
}

/** Starts a mktree --batch process in `cwd`. Call `close()` when done. */
export function openTreeWriter(cwd: string, env: NodeJS.ProcessEnv): TreeWriter {
  return new BatchTreeWriter(cwd, env);
}
