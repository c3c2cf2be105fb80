/**
 * Builds tracking-branch histories the way real use shapes them: ONE commit per run (as
 * `ghml run` writes them), in format 1 (every run in the tip tree) or format 2 (the open
 * bucket sealed into segments every 1,000 entries, with the same summary files and commit
 * trailers the writer produces). Written with one `git fast-import` stream (100,000 runs in
 * about a minute), then repacked as a server would be.
 *
 * The format-2 stream computes each run folder's tree oid itself (git's tree encoding), so the
 * segment summaries name the very trees fast-import writes.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { RunRecord } from '../../src/tracking/run-record.js';
import { formatRunRecord } from '../../src/tracking/run-record-json.js';
import { entryMessage } from '../../src/tracking/store/entry-commit.js';
import { formatSegmentName, runPath } from '../../src/tracking/store/run-path.js';
import { SEAL_AT } from '../../src/tracking/store/segment-sealer.js';
import { encodeEventsFile, encodeSummaryChunks } from '../../src/tracking/store/summary-codec.js';
import { BENCH_ENV, benchMetrics, benchRecord, git, hex } from './run-history.js';

export interface TrackingHistoryOptions {
  format: 1 | 2;
  /** Synthetic runs at random source shas (5 per sha), one commit each. */
  runs: number;
  /** Experiments exp0..exp<n-1>. Default 4. */
  experiments?: number;
  /** Runs at real source commits (a compare's base and head), written last. */
  extra?: ReadonlyArray<{ commit: string; experiment: string }>;
  branch?: string;
  /** Repack afterwards (as a server does). Default true. */
  repack?: boolean;
}

function gitHash(type: string, content: Buffer): Buffer {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest();
}

/** The oid of a tree holding the blobs `files` (name -> content), as git computes it. */
function treeOid(files: ReadonlyArray<[string, Buffer]>): string {
  const sorted = [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const parts: Buffer[] = [];
  for (const [name, content] of sorted) {
    parts.push(Buffer.from(`100644 ${name}\0`), gitHash('blob', content));
  }
  return gitHash('tree', Buffer.concat(parts)).toString('hex');
}

/** Builds the history on `branch` of `repo` (which must not have it yet); returns the extra runs. */
export async function buildTrackingHistory(
  repo: string,
  options: TrackingHistoryOptions,
): Promise<RunRecord[]> {
  const branch = options.branch ?? 'ghml/runs';
  const experiments = options.experiments ?? 4;
  const child = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: repo,
    env: BENCH_ENV,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)),
    );
  });
  const write = async (text: string): Promise<void> => {
    if (!child.stdin.write(text)) await new Promise((r) => child.stdin.once('drain', r));
  };
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let time = 1_700_000_000;
  const commit = (message: string): string =>
    `commit refs/heads/${branch}\ncommitter Bench <bench@example.com> ${time++} +0000\n${data(message)}`;

  let open: Array<{ record: RunRecord; tree: string }> = [];
  let segment = 0;
  let first = true;
  const addRun = async (record: RunRecord): Promise<void> => {
    const path = runPath(record.experiment, record.source.commit, record.id);
    const runJson = formatRunRecord({ ...record, format: options.format });
    const metrics = benchMetrics();
    if (options.format === 2 && open.length >= SEAL_AT) {
      segment++;
      const sorted = [...open].sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
      const name = formatSegmentName({
        number: segment,
        minRunId: sorted[0]?.record.id,
        maxRunId: sorted[sorted.length - 1]?.record.id,
      });
      const chunks = encodeSummaryChunks(
        sorted.map((o) => ({ tree: o.tree, record: o.record })),
        16 * 1024 * 1024,
      );
      const commits = [...new Set(sorted.map((o) => o.record.source.commit))].sort();
      let body = commit(
        entryMessage(`ghml: seal segment ${name} (${sorted.length} runs, 0 events)`, {
          seal: name,
          open: 0,
        }),
      );
      body += 'D runs\n';
      chunks.forEach((chunk, i) => {
        body += `M 100644 inline segments/${name}/summary-${i}.json\n${data(chunk)}`;
      });
      body += `M 100644 inline segments/${name}/events.json\n${data(encodeEventsFile([]))}`;
      body += `M 100644 inline segments/${name}/commits.txt\n${data(commits.map((c) => `${c}\n`).join(''))}`;
      await write(`${body}\n`);
      open = [];
    }
    let body = commit(
      options.format === 2
        ? entryMessage(`run ${record.id} ${record.experiment} ${record.status}`, {
            runPaths: [path],
            open: open.length + 1,
          })
        : `run ${record.id} ${record.experiment} ${record.status}\n\nGhml-Run: ${path}\n`,
    );
    if (first) {
      body += `M 100644 inline ghml.json\n${data(`{\n  "format": ${options.format}\n}\n`)}`;
      first = false;
    }
    body += `M 100644 inline ${path}/run.json\n${data(runJson)}`;
    body += `M 100644 inline ${path}/metrics.jsonl\n${data(metrics)}`;
    await write(`${body}\n`);
    open.push({
      record: { ...record, format: 2 },
      tree: treeOid([
        ['run.json', Buffer.from(runJson)],
        ['metrics.jsonl', Buffer.from(metrics)],
      ]),
    });
  };

  const sources = Array.from({ length: Math.max(1, Math.floor(options.runs / 5)) }, () => hex(40));
  for (let i = 0; i < options.runs; i++) {
    await addRun(benchRecord(sources[i % sources.length] as string, `exp${i % experiments}`));
  }
  const extra: RunRecord[] = [];
  for (const e of options.extra ?? []) {
    const record = benchRecord(e.commit, e.experiment);
    if (record.github) record.github.matrix = { seed: '0' };
    extra.push(record);
    await addRun(record);
  }
  await write('done\n');
  child.stdin.end();
  await finished;
  if (options.repack ?? true) git(repo, 'repack', '-adq');
  return extra;
}
