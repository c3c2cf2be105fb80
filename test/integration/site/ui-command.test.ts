/**
 * `ghml ui` as users run it (the shipped CLI in a child process): it serves the site on
 * 127.0.0.1, reads any run's series from git on request, refuses other Host headers and
 * methods, rebuilds when a run is added, stops on SIGINT, and names the fix for a busy port.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import type { SeriesFile, SiteManifest } from '../../../src/site/data/site-data-format.js';
import { decodeSeriesFile } from '../../../src/site/data/series-codec.js';
import { collect, startGhml, ghmlEnv } from '../../support/run-ghml.js';
import { cleanupTempDirs, git } from '../../support/temp-repo.js';
import { buildSiteFixture, type SiteFixture } from '../../e2e/site/site-fixture.js';
import type { ChildProcess } from 'node:child_process';

let fixture: SiteFixture;
let child: ChildProcess;
let url: string;
let stderr = '';

function raw(
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? target.host },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function json<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, url));
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('ghml ui', () => {
  beforeAll(async () => {
    fixture = await buildSiteFixture();
    child = startGhml(['ui', '--port', '0', '--poll', '200', '--no-fetch'], { cwd: fixture.dir });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', () => reject(new Error(`ghml ui exited: ${stderr}`)));
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const found = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (found) {
          url = found[1] as string;
          resolve();
        }
      });
    });
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    cleanupTempDirs();
  });

  it('serves the page and the data, every run with its series on demand', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<meta name="generator" content="ghml report" />');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const manifest = await json<SiteManifest>('data/manifest.json');
    expect(manifest.runCount).toBe(8);
    expect(manifest.series.onDemand).toBe(true);
    const series = await json<SeriesFile>(`data/series/${fixture.ids.long}.json`);
    expect(series.points).toBe(fixture.longPoints * 2);
    expect(series.reduced).toBe(false);
    expect(series.metrics.map((m) => m.key)).toEqual(['accuracy', 'log_loss']);
    expect(decodeSeriesFile(series)[1]?.value[2500]).toBeNaN();
    expect((await raw('/data/series/01ARZ3NDEKTSV4RRFFQ69G5FAV.json')).status).toBe(404);
    expect((await raw('/../../etc/passwd')).status).toBe(404);
  });

  it('answers only loopback hosts and only GET and HEAD', async () => {
    const forged = await raw('/data/manifest.json', { host: 'attacker.example' });
    expect(forged.status).toBe(403);
    expect(forged.body).not.toContain('runCount');
    expect((await raw('/data/manifest.json', { method: 'POST' })).status).toBe(405);
    expect((await raw('/data/manifest.json', { method: 'HEAD' })).status).toBe(200);
  });

  it('rebuilds when a run is added to the tracking branch', async () => {
    const store = openTrackingStore(await createGit(fixture.dir), {
      branch: 'ghml/runs',
      remote: 'origin',
      pushTimeoutMs: 10_000,
    });
    const before = await json<SiteManifest>('data/manifest.json');
    const commit = git(fixture.dir, 'rev-parse', 'HEAD');
    await store.writeRun({
      record: {
        format: 1,
        id: '01KA0000000000000000000000',
        experiment: 'late',
        name: null,
        status: 'FINISHED',
        startTime: Date.now(),
        endTime: Date.now(),
        exitCode: 0,
        source: { commit, branch: 'main', dirty: false },
        github: null,
        params: {},
        tags: {},
        metrics: {},
        artifacts: [],
      },
      metricsJsonl: Buffer.from(''),
      artifacts: [],
    });
    await expect
      .poll(async () => (await json<SiteManifest>('data/manifest.json')).runCount, {
        timeout: 20_000,
      })
      .toBe(9);
    expect((await json<SiteManifest>('data/manifest.json')).generatedAt).not.toBe(
      before.generatedAt,
    );
  });

  it('stops on SIGINT', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('names the fix when the port is taken', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    const result = await collect(
      startGhml(['ui', '--port', String(port), '--no-fetch'], { cwd: fixture.dir, env: ghmlEnv() }),
    );
    busy.close();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use.`);
    expect(result.stderr).toContain('hint: choose another port with --port');
  });
});
