/**
 * A deterministic, uncompressed tar (POSIX ustar, with pax records for long paths and sizes of
 * 8 GiB or more) laid out as segments: headers and padding in memory, file contents as
 * references to their bytes. Entries are owned by root, dated `mtime`, directories 0755 and
 * files 0644, so any container user can read them. Every parent directory gets its own entry.
 * The same files always give the same bytes, hence the same layer digest.
 */
import { assertArtifactPath } from '../artifact-path.js';
import type { Segment } from './segmented-source.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/** One regular file of the layer. */
export interface TarFile {
  /** Path inside the image, e.g. `models/model.pkl` (relative, '/'-separated). */
  path: string;
  size: number;
  /** Where its bytes come from. */
  content: Segment;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return `${length}${body}`;
}

/** Splits a path into ustar's prefix (155) and name (100), or undefined when it cannot. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') {
      return { prefix, name };
    }
  }
  return undefined;
}

function header(options: {
  path: string;
  size: number;
  type: '0' | '5' | 'x';
  mode: number;
  mtime: number;
}): Buffer {
  const block = Buffer.alloc(BLOCK, 0);
  const split = splitUstar(options.path) ?? { prefix: '', name: options.path.slice(0, 100) };
  block.write(split.name, 0, 100, 'utf8');
  block.write(octal(options.mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(Math.min(options.size, MAX_OCTAL_SIZE), 12), 124, 'ascii');
  block.write(octal(options.mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(options.type, 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  block.write(split.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function entryHeaders(
  path: string,
  size: number,
  type: '0' | '5',
  mode: number,
  mtime: number,
): Buffer[] {
  const records: string[] = [];
  if (splitUstar(path) === undefined) records.push(paxRecord('path', path));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const out: Buffer[] = [];
  if (records.length > 0) {
    const data = Buffer.from(records.join(''));
    out.push(header({ path: 'PaxHeader', size: data.length, type: 'x', mode: 0o644, mtime }));
    out.push(data, Buffer.alloc(padding(data.length)));
  }
  out.push(header({ path, size, type, mode, mtime }));
  return out;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The segments of a tar holding `files` (and their parent folders); see the module comment. */
export function tarSegments(files: readonly TarFile[], mtime = 0): Segment[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const segments: Segment[] = [];
  const dirs = new Set<string>();
  const bytes = (data: Buffer): void => {
    if (data.length > 0) segments.push({ kind: 'bytes', data });
  };
  for (const file of sorted) {
    assertArtifactPath(file.path, 'the modelcar layer');
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      for (const block of entryHeaders(dir, 0, '5', 0o755, mtime)) bytes(block);
    }
    for (const block of entryHeaders(file.path, file.size, '0', 0o644, mtime)) bytes(block);
    segments.push(file.content);
    bytes(Buffer.alloc(padding(file.size)));
  }
  bytes(Buffer.alloc(2 * BLOCK));
  return segments;
}
