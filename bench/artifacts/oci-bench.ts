/**
 * The artifact store against a loopback registry (Debian's docker-registry, started here), with
 * curl doing the same transfer as the baseline in the same run:
 *   - upload of a SIZE file: ghml's uploadRun (a fresh process per sample) vs curl's monolithic
 *     PUT (`curl -T file` to a POSTed upload URL with ?digest=), each to a fresh repository;
 *   - the same file in a second run: only HEADs and a manifest (deduplicated);
 *   - download: fetchRunFiles (sha256 verified) vs `curl -o` of the blob.
 * The ghml side runs as a bundled script (esbuild, as dist/ is built) under plain node, so its
 * whole-process time is comparable with curl's. Reports medians, the ratios to curl, and the
 * ghml process's peak RSS.
 *
 *   npx tsx bench/artifacts/oci-bench.ts [--size-mib 1024] [--samples 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { build } from 'esbuild';
import { startRegistry } from '../../test/support/oci-registry/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const sizeMiB = option('--size-mib', 1024);
const samples = option('--samples', 3);
const ROOT = resolve(import.meta.dirname, '../..');
const TRANSFER_SOURCE = join(ROOT, 'bench/artifacts/oci-transfer.ts');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;

function makeFile(path: string, bytes: number): string {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  const block = Buffer.alloc(8 * 1024 * 1024);
  for (let done = 0; done < bytes; done += block.length) {
    const part = block.subarray(0, Math.min(block.length, bytes - done));
    randomFillSync(part);
    hash.update(part);
    writeSync(fd, part);
  }
  closeSync(fd);
  return hash.digest('hex');
}

let transferScript = '';

function transfer(argv: string[]): { wallMs: number; callMs: number; maxRssKb: number } {
  const started = performance.now();
  const out = spawnSync(process.execPath, [transferScript, ...argv], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  const wallMs = performance.now() - started;
  if (out.status !== 0) throw new Error(`oci-transfer failed:\n${out.stderr}`);
  const line = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ms: number;
    maxRssKb: number;
  };
  return { wallMs, callMs: line.ms, maxRssKb: line.maxRssKb };
}

function curlUpload(host: string, repository: string, file: string, sha256: string): number {
  const started = performance.now();
  const headers = execFileSync(
    'curl',
    [
      '-sS',
      '-X',
      'POST',
      '-D',
      '-',
      '-o',
      '/dev/null',
      `http://${host}/v2/${repository}/blobs/uploads/`,
    ],
    {
      encoding: 'utf8',
    },
  );
  const location = /^location:\s*(\S+)/im.exec(headers)?.[1];
  if (location === undefined) throw new Error('no upload location');
  const url = new URL(location, `http://${host}`);
  url.searchParams.set('digest', `sha256:${sha256}`);
  const status = execFileSync(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/octet-stream',
      '-T',
      file,
      url.href,
    ],
    { encoding: 'utf8' },
  );
  if (status !== '201') throw new Error(`curl PUT: ${status}`);
  return performance.now() - started;
}

function curlDownload(host: string, repository: string, sha256: string, dest: string): number {
  const started = performance.now();
  execFileSync('curl', [
    '-sS',
    '-f',
    '-L',
    '-o',
    dest,
    `http://${host}/v2/${repository}/blobs/sha256:${sha256}`,
  ]);
  return performance.now() - started;
}

const work = mkdtempSync(join(tmpdir(), 'ghml-oci-bench-'));
transferScript = join(work, 'oci-transfer.mjs');
await build({
  entryPoints: [TRANSFER_SOURCE],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: transferScript,
  logLevel: 'warning',
});
const registry = await startRegistry();
try {
  const file = join(work, 'model.bin');
  const bytes = sizeMiB * 1024 * 1024;
  const sha256 = makeFile(file, bytes);
  console.log(
    `file: ${sizeMiB} MiB of random bytes; registry: docker-registry on ${registry.host}`,
  );
  const up = {
    ghmlCall: [] as number[],
    ghmlWall: [] as number[],
    curl: [] as number[],
    rss: [] as number[],
  };
  const again = { call: [] as number[], wall: [] as number[] };
  const down = {
    ghmlCall: [] as number[],
    ghmlWall: [] as number[],
    curl: [] as number[],
    rss: [] as number[],
  };
  for (let i = 0; i < samples; i += 1) {
    const prefix = `bench/s${i}`;
    const runId = `01J00000000000000000BENCH${i}`;
    // Alternate the order so neither side always meets a warmer page cache.
    const doCurl = (): void => {
      up.curl.push(curlUpload(registry.host, `bench/curl${i}`, file, sha256));
    };
    const doGhml = (): void => {
      const t = transfer(['upload', registry.host, prefix, runId, file, sha256, String(bytes)]);
      up.ghmlCall.push(t.callMs);
      up.ghmlWall.push(t.wallMs);
      up.rss.push(t.maxRssKb);
    };
    if (i % 2 === 0) {
      doCurl();
      doGhml();
    } else {
      doGhml();
      doCurl();
    }
    const second = transfer([
      'upload',
      registry.host,
      prefix,
      `01J0000000000000000AGAIN${i}`,
      file,
      sha256,
      String(bytes),
    ]);
    again.call.push(second.callMs);
    again.wall.push(second.wallMs);

    const curlDest = join(work, `curl-${i}.bin`);
    const ghmlDest = join(work, `ghml-${i}`);
    const doCurlDown = (): void => {
      down.curl.push(curlDownload(registry.host, `bench/curl${i}`, sha256, curlDest));
    };
    const doGhmlDown = (): void => {
      const t = transfer(['download', registry.host, prefix, runId, ghmlDest]);
      down.ghmlCall.push(t.callMs);
      down.ghmlWall.push(t.wallMs);
      down.rss.push(t.maxRssKb);
    };
    if (i % 2 === 0) {
      doCurlDown();
      doGhmlDown();
    } else {
      doGhmlDown();
      doCurlDown();
    }
    if (statSync(join(ghmlDest, 'model.bin')).size !== bytes) throw new Error('short download');
    rmSync(curlDest, { force: true });
    rmSync(ghmlDest, { recursive: true, force: true });
  }
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  console.log(
    `\n| measure (${sizeMiB} MiB, median of ${samples}) | ghml | curl | ratio | target |`,
  );
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| upload: uploadRun call | ${fmt(median(up.ghmlCall))} | ${fmt(median(up.curl))} | ${(median(up.ghmlCall) / median(up.curl)).toFixed(2)}× | ≤ 1.5× |`,
  );
  console.log(
    `| upload: whole ghml process | ${fmt(median(up.ghmlWall))} | ${fmt(median(up.curl))} | ${(median(up.ghmlWall) / median(up.curl)).toFixed(2)}× | – |`,
  );
  console.log(
    `| upload: peak RSS of the ghml process | ${mb(Math.max(...up.rss))} | – | – | < 150 MB |`,
  );
  console.log(
    `| same file in a second run: uploadRun call | ${fmt(median(again.call))} | – | – | < 1 s |`,
  );
  console.log(
    `| same file in a second run: whole process | ${fmt(median(again.wall))} | – | – | < 1 s |`,
  );
  console.log(
    `| download, sha256 verified: fetchRunFiles call | ${fmt(median(down.ghmlCall))} | ${fmt(median(down.curl))} | ${(median(down.ghmlCall) / median(down.curl)).toFixed(2)}× | ≤ 1.5× |`,
  );
  console.log(
    `| download: whole ghml process | ${fmt(median(down.ghmlWall))} | ${fmt(median(down.curl))} | ${(median(down.ghmlWall) / median(down.curl)).toFixed(2)}× | – |`,
  );
  console.log(
    `| download: peak RSS of the ghml process | ${mb(Math.max(...down.rss))} | – | – | < 150 MB |`,
  );
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
