import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { cleanupTempDirs, git, makeRepo, tempDir } from '../../support/temp-repo.js';
import { buildWriter } from './fixtures/build-writer.js';
import { startWriter } from './fixtures/run-process.js';

afterAll(cleanupTempDirs);

/** Stale ref locks a SIGKILLed git leaves behind (git itself asks the user to delete them). */
function staleLocks(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.lock'))
      found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

describe('a writer killed at any point', () => {
  let writer: string;
  beforeAll(async () => {
    writer = await buildWriter();
  });

  it('leaves a valid branch where each run is complete or absent', async () => {
    const repo = makeRepo();
    const artifact = join(tempDir(), 'model.bin');
    const bytes = randomBytes(300_000);
    writeFileSync(artifact, bytes);
    const confirmed: string[] = [];
    // Spread over start-up, blob writing, tree building and ref updates of many writes.
    const delays = [120, 200, 300, 420, 560, 700, 850, 1000];
    for (const base of delays) {
      const { child, done } = startWriter(
        writer,
        { repo, count: 100_000, push: false, experiment: 'iris', artifactFile: artifact },
        { detached: true },
      );
      await new Promise((r) => setTimeout(r, base + Math.floor(Math.random() * 80)));
      process.kill(-(child.pid as number), 'SIGKILL');
      const outcome = await done;
      expect(outcome.stderr).toBe('');
      expect(outcome.signal).toBe('SIGKILL');
      confirmed.push(...outcome.written);

      for (const lock of staleLocks(join(repo, '.git', 'refs'))) rmSync(lock);
      expect(git(repo, 'fsck', '--strict', '--no-dangling')).toBe('');
      const warnings: string[] = [];
      const store = openTrackingStore(await createGit(repo), {
        branch: 'ghml/runs',
        remote: 'origin',
        pushTimeoutMs: 1000,
        warn: (message) => warnings.push(message),
      });
      // listRuns parses every record: a half-written run would be reported here.
      const runs = await store.listRuns();
      expect(warnings).toEqual([]);
      const ids = runs.map((r) => r.id);
      for (const id of confirmed) expect(ids).toContain(id);
      expect(ids.length - confirmed.length).toBeLessThanOrEqual(delays.length);
      for (const run of runs) {
        expect((await store.readMetrics(run)).length).toBe(800);
        expect((await store.readArtifact(run, 'model/model.bin')).equals(bytes)).toBe(true);
      }
    }
    expect(confirmed.length).toBeGreaterThan(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  }, 120_000);
});
