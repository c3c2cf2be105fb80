/**
 * `ghml report build` as users run it: the files it writes, that it never overwrites a folder
 * it did not write (and loses nothing there), that a rebuild replaces the data, and that bad
 * options are refused with the fix named.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SiteManifest } from '../../../src/site/data/site-data-format.js';
import { runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, makeRepo, tempDir } from '../../support/temp-repo.js';
import { buildSiteFixture } from '../../e2e/site/site-fixture.js';

afterAll(cleanupTempDirs);

describe('ghml report build', () => {
  it('writes the page and the data, and rebuilds into its own folder', async () => {
    const fixture = await buildSiteFixture();
    const out = join(tempDir(), 'site');
    const first = await runGhml(
      ['report', 'build', '-o', out, '--no-fetch', '--series-runs', '2'],
      { cwd: fixture.dir },
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/wrote .*site: 8 run\(s\), 2 with full metric series/);
    expect(readdirSync(out).sort()).toEqual(['app.css', 'app.js', 'data', 'index.html']);
    const manifest = JSON.parse(
      readFileSync(join(out, 'data', 'manifest.json'), 'utf8'),
    ) as SiteManifest;
    expect(manifest.runCount).toBe(8);
    expect(manifest.series).toMatchObject({ included: 2, maxRuns: 2, onDemand: false });
    // The run versions were registered from come first, then the newest.
    expect(readdirSync(join(out, 'data', 'series')).sort()).toEqual(
      [fixture.ids.base, fixture.ids.long].map((id) => `${id}.json`).sort(),
    );
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toMatch(/https?:\/\//);

    const second = await runGhml(
      ['report', 'build', '-o', out, '--no-fetch', '--series-runs', '0'],
      { cwd: fixture.dir },
    );
    expect(second.code, second.stderr).toBe(0);
    expect(existsSync(join(out, 'data', 'series'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['app.css', 'app.js', 'data', 'index.html']);
  });

  it('leaves deleted runs out, as runs list does', async () => {
    const fixture = await buildSiteFixture();
    const deleted = await runGhml(['runs', 'delete', fixture.ids.failed, '--no-push'], {
      cwd: fixture.dir,
    });
    expect(deleted.code, deleted.stderr).toBe(0);
    const out = join(tempDir(), 'site');
    const result = await runGhml(['report', 'build', '-o', out, '--no-fetch', '--json'], {
      cwd: fixture.dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ runs: 7 });
    const shard = readFileSync(join(out, 'data', 'runs', '0000.json'), 'utf8');
    expect(shard).not.toContain(fixture.ids.failed);
    expect(shard).toContain(fixture.ids.base);
  });

  it('refuses a folder it did not write, and leaves it as it was', async () => {
    const repo = makeRepo();
    const out = join(tempDir(), 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'index.html'), '<h1>my page</h1>');
    const result = await runGhml(['report', 'build', '-o', out, '--no-fetch'], { cwd: repo });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not empty and does not hold a site written by');
    expect(result.stderr).toContain('hint: pass an empty or new folder with -o');
    expect(readdirSync(out)).toEqual(['index.html']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<h1>my page</h1>');
  });

  it.each([
    [['--series-runs', '-1'], "--series-runs expects a whole number from 0 to 1000000, got '-1'"],
    [
      ['--series-points', 'lots'],
      "--series-points expects a whole number from 0 to 1000000000, got 'lots'",
    ],
    [
      ['--series-run-points', '5'],
      "--series-run-points expects a whole number from 100 to 100000000, got '5'",
    ],
  ])('refuses %j', async (args, message) => {
    const repo = makeRepo();
    const out = join(tempDir(), 'site');
    const result = await runGhml(['report', 'build', '-o', out, '--no-fetch', ...args], {
      cwd: repo,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('builds an empty site for a repository without runs', async () => {
    const repo = makeRepo();
    const out = join(tempDir(), 'site');
    const result = await runGhml(['report', 'build', '-o', out, '--no-fetch', '--json'], {
      cwd: repo,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ runs: 0, seriesFiles: 0 });
  });
});
