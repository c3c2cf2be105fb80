/**
 * One artifact-store transfer in its own process, for oci-bench.ts: `upload` stores one file as a
 * run (ArtifactStore.uploadRun, the digest given as run.json records it), `download` fetches it
 * back (fetchRunFiles, sha256 verified). Prints one JSON line: the call's time and the process's
 * peak RSS.
 *
 *   npx tsx bench/artifacts/oci-transfer.ts upload <host> <prefix> <run-id> <file> <sha256> <size>
 *   npx tsx bench/artifacts/oci-transfer.ts download <host> <prefix> <run-id> <dest-dir>
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openArtifactStore } from '../../src/artifacts/store-settings.js';

const [mode, host, prefix, runId, ...rest] = process.argv.slice(2);
if (mode === undefined || host === undefined || prefix === undefined || runId === undefined) {
  console.error('usage: oci-transfer.ts upload|download <host> <prefix> <run-id> ...');
  process.exit(2);
}
const store = openArtifactStore({
  setting: { kind: 'oci', registry: host, prefix },
  env: {},
  gitDir: mkdtempSync(join(tmpdir(), 'ghml-bench-git-')),
  // Chunking can be varied for experiments: OCI_BENCH_CHUNK_MIB, OCI_BENCH_MONOLITHIC_MIB.
  upload: {
    ...(process.env['OCI_BENCH_CHUNK_MIB']
      ? { chunkBytes: Number(process.env['OCI_BENCH_CHUNK_MIB']) * 1024 * 1024 }
      : {}),
    ...(process.env['OCI_BENCH_MONOLITHIC_MIB']
      ? { monolithicMaxBytes: Number(process.env['OCI_BENCH_MONOLITHIC_MIB']) * 1024 * 1024 }
      : {}),
  },
});
if (store === null) throw new Error('no store');

const started = performance.now();
if (mode === 'upload') {
  const [file, sha256, size] = rest as [string, string, string];
  const result = await store.uploadRun(
    runId,
    [{ path: basename(file), file, sha256, size: Number(size) }],
    { experiment: 'bench', queueOnFailure: false },
  );
  if (result.pending) throw new Error('upload queued');
} else {
  const [dest] = rest as [string];
  await store.fetchRunFiles(runId, dest);
}
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS }));
