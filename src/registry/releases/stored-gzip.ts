/**
 * A gzip stream (RFC 1952) whose deflate data is stored blocks only (RFC 1951, BTYPE 00): no
 * compression, so the output is a function of the input bytes alone. zlib's compressed output
 * differs between zlib builds (Node bundles Chromium's, whose match finder depends on the CPU),
 * and an archive registered on one machine must be rebuilt byte for byte on another (`ghml
 * model release` checks it against the sha256 in the tag). Any gunzip reads it. Model weights
 * hardly compress anyway; the cost is 5 bytes per 64 KiB.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

const BLOCK = 65535;
/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix): the same header everywhere. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]);

/** zlib.crc32 where Node has it (20.15+), else a table. Both give the same value. */
const crc32: (data: Buffer, value: number) => number = (() => {
  const native = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;
  if (typeof native === 'function') return (data, value) => native(data, value);
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data, value) => {
    let c = ~value >>> 0;
    for (const byte of data) c = (table[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return ~c >>> 0;
  };
})();

/** Wraps whatever is written into a gzip member of stored blocks. */
export class StoredGzip extends Transform {
  private crc = 0;
  private total = 0;
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private started = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.started) {
      this.started = true;
      this.push(HEADER);
    }
    this.crc = crc32(chunk, this.crc);
    this.total += chunk.length;
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    // Keep at least one byte back, so the last block (BFINAL) is written by _flush.
    while (this.pendingSize > BLOCK) this.writeBlock(BLOCK, false);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.started) this.push(HEADER);
    this.writeBlock(this.pendingSize, true);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.total % 2 ** 32, 4);
    done(null, trailer);
  }

  private writeBlock(size: number, final: boolean): void {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const data = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingSize = rest.length;
    const head = Buffer.alloc(5);
    head[0] = final ? 1 : 0;
    head.writeUInt16LE(size, 1);
    head.writeUInt16LE(~size & 0xffff, 3);
    this.push(head);
    if (size > 0) this.push(data);
  }
}
