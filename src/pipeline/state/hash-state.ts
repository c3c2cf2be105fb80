/**
 * The hash state database, as DVC keeps one: for each file hashed, its inode, mtime and size
 * with the sha256 they gave. A file whose three values are unchanged is not read again, which
 * makes a no-op `ghml repro` cost one stat per file. The state is a cache: it lives in
 * `<git dir>/ghml/pipeline/state.json`, a missing or damaged file only means rehashing, and
 * it is replaced atomically (write to a temp file, rename), so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Stats } from 'node:fs';

const FORMAT = 'ghml.state/1';
/** Entries kept at most; the oldest are dropped first. */
const MAX_ENTRIES = 1_000_000;

type Entry = [inode: number, mtimeMs: number, size: number, sha256: string];

export class HashState {
  private entries = new Map<string, Entry>();
  private dirty = false;

  private constructor(private readonly file: string | null) {}

  /** Opens the state file (a missing or unreadable one starts empty); null: in memory only. */
  static open(file: string | null): HashState {
    const state = new HashState(file);
    if (file === null) return state;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
        format?: unknown;
        entries?: unknown;
      };
      if (
        parsed.format === FORMAT &&
        typeof parsed.entries === 'object' &&
        parsed.entries !== null
      ) {
        for (const [path, entry] of Object.entries(parsed.entries as Record<string, unknown>)) {
          if (Array.isArray(entry) && entry.length === 4 && typeof entry[3] === 'string') {
            state.entries.set(path, entry as Entry);
          }
        }
      }
    } catch {
      // No state yet, or a damaged one: everything is hashed again.
    }
    return state;
  }

  /** The recorded sha256 of `path` when its stat still matches. */
  lookup(path: string, stats: Stats): string | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined) return undefined;
    if (entry[0] !== stats.ino || entry[1] !== stats.mtimeMs || entry[2] !== stats.size)
      return undefined;
    return entry[3];
  }

  record(path: string, stats: Stats, sha256: string): void {
    const current = this.entries.get(path);
    if (
      current?.[3] === sha256 &&
      current[0] === stats.ino &&
      current[1] === stats.mtimeMs &&
      current[2] === stats.size
    ) {
      return;
    }
    this.entries.delete(path);
    this.entries.set(path, [stats.ino, stats.mtimeMs, stats.size, sha256]);
    this.dirty = true;
  }

  /** Writes the state when it changed. Failures are ignored: the state is only a cache. */
  save(): void {
    if (!this.dirty || this.file === null) return;
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(
        temp,
        JSON.stringify({ format: FORMAT, entries: Object.fromEntries(this.entries) }),
      );
      renameSync(temp, this.file);
      this.dirty = false;
    } catch {
      rmSync(temp, { force: true });
    }
  }
}
