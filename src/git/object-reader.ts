/**
 * Reads many objects through ONE long-lived `git cat-file --batch` process: a request is a
 * line on its stdin, answers come back in order. Requests may be issued without awaiting the
 * previous one; they are pipelined. In a partial clone git fetches missing blobs lazily.
 */
import type { ChildProcess } from 'node:child_process';
import { GitCommandError, InvalidGitArgumentError } from './git-errors.js';
import { startBatchGit } from './git-exec.js';
import { parseTreeObject, type TreeEntry } from './tree-entry.js';

export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** An object read from the object database. */
export interface GitObject {
  oid: string;
  type: GitObjectType;
  data: Buffer;
}

export interface ObjectReader {
  /** Reads any object named by `spec` (an oid, `<rev>:<path>`, `<tree-oid>:<path>` ...). */
  readObject(spec: string): Promise<GitObject | undefined>;
  /** Reads an object's content; undefined when it does not exist. */
  read(spec: string): Promise<Buffer | undefined>;
  /** Reads and parses a tree; undefined when it does not exist or is not a tree. */
  readTree(spec: string): Promise<TreeEntry[] | undefined>;
  /** Ends the process; pending reads still complete. */
  close(): Promise<void>;
}

interface Pending {
  spec: string;
  resolve(value: GitObject | undefined): void;
  reject(error: Error): void;
}

interface Body {
  oid: string;
  type: GitObjectType;
  size: number;
  parts: Buffer[];
  have: number;
}

const ARGS = ['cat-file', '--batch'] as const;

class BatchObjectReader implements ObjectReader {
  private readonly child: ChildProcess;
  private queue: Pending[] = [];
  private head = 0;
  private outgoing = '';
  private flushScheduled = false;
  private headerParts: Buffer[] = [];
  private body: Body | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly exited: Promise<void>;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    const batch = startBatchGit(
      cwd,
      ARGS,
      env,
      (chunk) => this.onData(chunk),
      (error) => this.fail(error),
    );
    this.child = batch.child;
    this.exited = batch.exited;
  }

  readObject(spec: string): Promise<GitObject | undefined> {
    if (/[\n\0]/.test(spec))
      return Promise.reject(new InvalidGitArgumentError('object name', spec));
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('object reader is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ spec, resolve, reject });
      // Requests made in the same tick go out in one write: 100,000 reads, a handful of syscalls.
      this.outgoing += `${spec}\n`;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing && !this.failure) this.child.stdin?.write(this.outgoing);
    this.outgoing = '';
    if (this.closed) this.child.stdin?.end();
  }

  /** The oldest unanswered request; a head index keeps this O(1) with 100,000 queued. */
  private nextPending(): Pending | undefined {
    const pending = this.queue[this.head];
    if (pending === undefined) return undefined;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return pending;
  }

  async read(spec: string): Promise<Buffer | undefined> {
    return (await this.readObject(spec))?.data;
  }

  async readTree(spec: string): Promise<TreeEntry[] | undefined> {
    const object = await this.readObject(spec);
    if (object?.type !== 'tree') return undefined;
    return parseTreeObject(object.data, object.oid.length / 2);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (!this.flushScheduled) this.child.stdin?.end();
    }
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const pending of waiting) pending.reject(this.failure);
  }

  private onData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body) {
        const body = this.body;
        const take = Math.min(body.size + 1 - body.have, chunk.length - offset);
        body.parts.push(chunk.subarray(offset, offset + take));
        body.have += take;
        offset += take;
        if (body.have === body.size + 1) {
          this.body = undefined;
          const whole = body.parts.length === 1 ? body.parts[0]! : Buffer.concat(body.parts);
          const data = whole.subarray(0, body.size);
          this.nextPending()?.resolve({ oid: body.oid, type: body.type, data });
        }
        continue;
      }
      const newline = chunk.indexOf(0x0a, offset);
      if (newline < 0) {
        this.headerParts.push(chunk.subarray(offset));
        return;
      }
      let header: string;
      if (this.headerParts.length === 0) {
        header = chunk.toString('utf8', offset, newline);
      } else {
        this.headerParts.push(chunk.subarray(offset, newline));
        header = Buffer.concat(this.headerParts).toString('utf8');
        this.headerParts = [];
      }
      offset = newline + 1;
      this.onHeader(header);
    }
  }

  private onHeader(header: string): void {
    const pending = this.queue[this.head];
    if (!pending) return;
    if (header === `${pending.spec} missing` || header === `${pending.spec} ambiguous`) {
      this.nextPending();
      pending.resolve(undefined);
      return;
    }
    const match = /^([0-9a-f]{40,64}) (blob|tree|commit|tag) (\d+)$/.exec(header);
    if (!match) {
      this.fail(new GitCommandError(ARGS, null, `unexpected cat-file output: ${header}`));
      this.child.kill();
      return;
    }
    this.body = {
      oid: match[1] as string,
      type: match[2] as GitObjectType,
      size: Number(match[3]),
      parts: [],
      have: 0,
    };
  }
}

/** Starts a cat-file --batch process in `cwd`. Call `close()` when done. */
export function openObjectReader(cwd: string, env: NodeJS.ProcessEnv): ObjectReader {
  return new BatchObjectReader(cwd, env);
}
