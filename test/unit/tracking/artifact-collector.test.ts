import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { collectArtifacts } from '../../../src/tracking/ingest/artifact-collector.js';
import { copyArtifact } from '../../../src/tracking/ingest/ingest-artifact-copy.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function put(root: string, rel: string, content: string | Buffer): void {
  const full = join(root, rel);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, content);
}

describe('collectArtifacts', () => {
  it('hashes every file and stores those within the limits, in path order', async () => {
    const dir = tempDir('ghml-art-');
    put(dir, 'a.txt', 'aaaa'); // 4
    put(dir, 'big.bin', Buffer.alloc(50, 1)); // over maxFileBytes
    put(dir, 'model/m.pkl', 'mmmmmm'); // 6
    put(dir, 'model/z.txt', 'zzzzzzzz'); // 8: would pass 16 total
    put(dir, 'y.txt', 'yy'); // 2
    const result = await collectArtifacts({
      dir,
      snapshotDir: tempDir('ghml-snap-'),
      maxFileBytes: 10,
      maxTotalBytes: 16,
    });
    expect(result.entries).toEqual([
      { path: 'a.txt', size: 4, sha256: sha('aaaa'), stored: true },
      {
        path: 'big.bin',
        size: 50,
        sha256: sha(Buffer.alloc(50, 1)),
        stored: false,
        uri: pathToFileURL(join(dir, 'big.bin')).href,
      },
      { path: 'model/m.pkl', size: 6, sha256: sha('mmmmmm'), stored: true },
      {
        path: 'model/z.txt',
        size: 8,
        sha256: sha('zzzzzzzz'),
        stored: false,
        uri: pathToFileURL(join(dir, 'model', 'z.txt')).href,
      },
      { path: 'y.txt', size: 2, sha256: sha('yy'), stored: true },
    ]);
    expect(result.files.map((f) => f.path)).toEqual(['a.txt', 'model/m.pkl', 'y.txt']);
    expect(readFileSync(result.files[1]?.file ?? '', 'utf8')).toBe('mmmmmm');
    expect(result.warnings).toEqual([]);
  });

  it('skips symlinks leading outside, symlinked folders, broken links, FIFOs and bad names', async () => {
    const outside = tempDir('ghml-outside-');
    writeFileSync(join(outside, 'secret'), 'do not take');
    const dir = tempDir('ghml-art-');
    put(dir, 'real.txt', 'real');
    put(dir, 'sub/inner.txt', 'inner');
    symlinkSync(join(outside, 'secret'), join(dir, 'escape'));
    symlinkSync('../../', join(dir, 'sub', 'up'));
    symlinkSync('real.txt', join(dir, 'alias.txt'));
    symlinkSync('sub', join(dir, 'subdir-link'));
    symlinkSync('nowhere', join(dir, 'broken'));
    put(dir, 'bad name (1).txt', 'x');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const result = await collectArtifacts({
      dir,
      snapshotDir: tempDir('ghml-snap-'),
      maxFileBytes: 1000,
      maxTotalBytes: 1000,
    });
    expect(result.entries.map((e) => e.path)).toEqual(['alias.txt', 'real.txt', 'sub/inner.txt']);
    expect(result.entries[0]?.sha256).toBe(sha('real'));
    expect(result.warnings.map((w) => w.message)).toEqual([
      "'bad name (1).txt': artifact paths follow the key rule: may only contain letters, digits, '_', '-', '.', ' ' and '/'; skipped",
      "'broken': broken symlink; skipped",
      "'escape': symlink points outside the artifacts folder; skipped",
      "'pipe': not a regular file; skipped",
      "'sub/up': symlink points outside the artifacts folder; skipped",
      "'subdir-link': symlinked folders are not followed; skipped",
    ]);
  });

  it('returns nothing for a missing folder and caps the number of files', async () => {
    expect(
      await collectArtifacts({
        dir: join(tempDir(), 'none'),
        snapshotDir: tempDir('ghml-snap-'),
        maxFileBytes: 1,
        maxTotalBytes: 1,
      }),
    ).toEqual({
      entries: [],
      files: [],
      warnings: [],
    });
    const dir = tempDir('ghml-art-');
    for (let i = 0; i < 5; i++) put(dir, `f${i}`, String(i));
    const result = await collectArtifacts({
      dir,
      snapshotDir: tempDir('ghml-snap-'),
      maxFileBytes: 10,
      maxTotalBytes: 10,
      maxFiles: 3,
    });
    expect(result.entries).toHaveLength(3);
    expect(result.warnings).toEqual([
      { source: 'artifacts', message: 'more than 3 files; 2 were skipped' },
    ]);
  });
});

describe('copyArtifact', () => {
  it('copies a file or a folder under an optional artifact path', async () => {
    const src = tempDir('ghml-src-');
    put(src, 'model.pkl', 'model');
    put(src, 'plots/a.png', 'a');
    put(src, 'plots/deep/b.png', 'b');
    const artifacts = tempDir('ghml-artifacts-');
    expect(await copyArtifact(join(src, 'model.pkl'), artifacts)).toEqual(['model.pkl']);
    expect((await copyArtifact(join(src, 'plots'), artifacts, 'figs/')).sort()).toEqual([
      'figs/plots/a.png',
      'figs/plots/deep/b.png',
    ]);
    expect(readFileSync(join(artifacts, 'figs', 'plots', 'deep', 'b.png'), 'utf8')).toBe('b');
  });

  it('rejects missing sources and bad artifact paths without copying', async () => {
    const artifacts = tempDir('ghml-artifacts-');
    await expect(copyArtifact(join(artifacts, 'nope'), artifacts)).rejects.toThrow(
      'no such file or folder',
    );
    const src = tempDir('ghml-src-');
    put(src, 'ok.txt', 'x');
    await expect(copyArtifact(join(src, 'ok.txt'), artifacts, '../up')).rejects.toThrow(
      "Invalid artifact path '../up/ok.txt'",
    );
    expect(
      (
        await collectArtifacts({
          dir: artifacts,
          snapshotDir: tempDir('ghml-snap-'),
          maxFileBytes: 9,
          maxTotalBytes: 9,
        })
      ).entries,
    ).toEqual([]);
  });
});

/** Starts a real child process running `script` (Node) until `stop` exists. */
function startChild(script: string, stop: string): { ready: Promise<void>; done: Promise<void> } {
  const child = spawn(process.execPath, ['-e', script, stop], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { ready, done: ready.then(() => exited) };
}

describe('collectArtifacts against a process still writing', () => {
  it('skips files that vanish or change while read, with a warning each, and stores what it hashed', async () => {
    const dir = tempDir('ghml-art-');
    const stop = join(tempDir(), 'stop');
    // A trainer's checkpoint rotation that outlives the command: every millisecond, delete
    // the oldest checkpoint, write a new one and rewrite one in place.
    const rotator = `
      const fs = require('fs'), path = require('path');
      const dir = ${JSON.stringify(join(dir, 'ckpt'))};
      const pause = new Int32Array(new SharedArrayBuffer(4));
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, 'step-' + i + '.pt'), 'w'.repeat(2000) + i);
      process.stdout.write('ready');
      let next = 300;
      while (!fs.existsSync(process.argv[1])) {
        fs.rmSync(path.join(dir, 'step-' + (next - 300) + '.pt'), { force: true });
        fs.writeFileSync(path.join(dir, 'step-' + next + '.pt'), 'n'.repeat(2000) + next);
        fs.writeFileSync(path.join(dir, 'step-' + (next - 150) + '.pt'), 'r'.repeat(1000 + (next % 7)));
        next++;
        Atomics.wait(pause, 0, 0, 1);
      }`;
    put(dir, 'model.pkl', 'final model');
    const child = startChild(rotator, stop);
    await child.ready;
    let skipped = 0;
    try {
      for (let round = 0; round < 5; round++) {
        const result = await collectArtifacts({
          dir,
          snapshotDir: tempDir('ghml-snap-'),
          maxFileBytes: 1_000_000,
          maxTotalBytes: 100_000_000,
        });
        expect(result.entries.map((e) => e.path)).toContain('model.pkl');
        for (const warning of result.warnings) {
          expect(warning.message).toMatch(
            /^'ckpt\/step-\d+\.pt': (vanished before it could be read|vanished while it was read|kept changing while it was read \(3 tries\)); skipped$/,
          );
        }
        skipped += result.warnings.length;
        const byPath = new Map(result.entries.map((e) => [e.path, e]));
        for (const file of result.files) {
          expect(sha(readFileSync(file.file))).toBe(byPath.get(file.path)?.sha256);
        }
      }
    } finally {
      writeFileSync(stop, '');
      await child.done;
    }
    // The rotation really raced the reads (else this test would show nothing).
    expect(skipped).toBeGreaterThan(0);
  });

  it('never reads outside the folder while a process swaps a folder for a symlink', async () => {
    const dir = tempDir('ghml-art-');
    const outside = tempDir('ghml-outside-');
    const hold = tempDir('ghml-hold-');
    writeFileSync(join(outside, 'a.bin'), 'SECRET');
    writeFileSync(join(outside, 'only-outside.txt'), 'SECRET');
    put(dir, 'ckpt/a.bin', 'inside');
    const stop = join(tempDir(), 'stop');
    // Swaps ckpt/ for a symlink to the outside folder for 1 ms, then back for 5 ms.
    const swapper = `
      const fs = require('fs');
      const ckpt = ${JSON.stringify(join(dir, 'ckpt'))}, held = ${JSON.stringify(join(hold, 'ckpt'))};
      const pause = new Int32Array(new SharedArrayBuffer(4));
      process.stdout.write('ready');
      while (!fs.existsSync(process.argv[1])) {
        fs.renameSync(ckpt, held);
        fs.symlinkSync(${JSON.stringify(outside)}, ckpt);
        Atomics.wait(pause, 0, 0, 1);
        fs.unlinkSync(ckpt);
        fs.renameSync(held, ckpt);
        Atomics.wait(pause, 0, 0, 5);
      }`;
    const child = startChild(swapper, stop);
    await child.ready;
    const secret = sha('SECRET');
    let insideRead = 0;
    let swapSeen = 0;
    try {
      for (let round = 0; round < 300; round++) {
        const result = await collectArtifacts({
          dir,
          snapshotDir: tempDir('ghml-snap-'),
          maxFileBytes: 1000,
          maxTotalBytes: 1000,
        });
        for (const entry of result.entries) {
          expect(entry.sha256).not.toBe(secret);
          if (entry.sha256 === sha('inside')) insideRead += 1;
        }
        for (const file of result.files) expect(readFileSync(file.file, 'utf8')).not.toBe('SECRET');
        if (result.warnings.length > 0) swapSeen += 1;
      }
    } finally {
      writeFileSync(stop, '');
      await child.done;
    }
    // Both states were met: the file was read while inside, skipped while swapped.
    expect(insideRead).toBeGreaterThan(0);
    expect(swapSeen).toBeGreaterThan(0);
  });
});
