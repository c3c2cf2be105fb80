/** The modelcar tar, read back by GNU tar (the real tool, not a parser of ours). */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSegments, segmentsSize } from '../../../src/artifacts/oci/segmented-source.js';
import { tarSegments } from '../../../src/artifacts/oci/tar-layer.js';

const work = mkdtempSync(join(tmpdir(), 'ghml-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('tar layer', () => {
  it('writes a deterministic tar with parent folders, long paths and file modes GNU tar reads', async () => {
    const source = join(work, 'weights.bin');
    const weights = Buffer.alloc(70_000);
    for (let i = 0; i < weights.length; i += 1) weights[i] = (i * 7) % 251;
    writeFileSync(source, weights);
    const long = `models/${'nested-folder/'.repeat(12)}tokenizer.json`;
    const files = [
      {
        path: 'models/weights.bin',
        size: weights.length,
        content: { kind: 'file' as const, file: source, size: weights.length },
      },
      { path: long, size: 2, content: { kind: 'bytes' as const, data: Buffer.from('{}') } },
      { path: 'models/empty', size: 0, content: { kind: 'bytes' as const, data: Buffer.alloc(0) } },
    ];
    const segments = tarSegments(files, 1_700_000_000);
    const size = segmentsSize(segments);
    const tar = await collect(openSegments(segments, 0, size));
    expect(tar.length).toBe(size);
    expect(size % 512).toBe(0);

    const listing = execFileSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' });
    expect(listing).toContain('drwxr-xr-x 0/0');
    expect(listing).toMatch(/-rw-r--r-- 0\/0 +70000 2023-11-14 \d\d:\d\d models\/weights.bin/);
    expect(listing).toContain(long);

    const out = join(work, 'extract');
    mkdirSync(out);
    execFileSync('tar', ['-xf', '-', '-C', out], { input: tar });
    expect(readFileSync(join(out, 'models', 'weights.bin'))).toEqual(weights);
    expect(readFileSync(join(out, ...long.split('/')), 'utf8')).toBe('{}');
    expect(statSync(join(out, 'models', 'empty')).size).toBe(0);

    // Any byte range is served exactly (what a resumed chunked upload asks for).
    const slice = await collect(openSegments(segments, 1000, 75_000));
    expect(slice).toEqual(tar.subarray(1000, 75_000));
    // Same files, same bytes.
    const again = await collect(
      openSegments(tarSegments([...files].reverse(), 1_700_000_000), 0, size),
    );
    expect(createHash('sha256').update(again).digest('hex')).toBe(
      createHash('sha256').update(tar).digest('hex'),
    );
  });

  it('refuses a path that would escape /models', () => {
    expect(() =>
      tarSegments([
        {
          path: 'models/../etc/passwd',
          size: 0,
          content: { kind: 'bytes', data: Buffer.alloc(0) },
        },
      ]),
    ).toThrow("contains a '..' segment");
  });
});
