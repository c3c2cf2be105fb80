/**
 * The cost of the checks ingestion gained in issue 9 (times within a Date's range, the shared
 * record schema, prototype-free maps, `__proto__` refused) on the hot paths, against a
 * baseline checkout of ghml without them, in the same process with samples interleaved:
 *
 * - logging: read an events file and apply it (what `ghml run` does when the command ends),
 *   then build the record and metrics.jsonl: 1,000,000 points as ghml_log.py writes them
 *   (`metric_batch` lines), and as single `metric` lines (shell, R, `ghml log`);
 * - write: formatRunRecord (run.json text, now refusing out-of-range times) of a 200-metric run.
 *
 *   git archive <baseline-commit> | tar -x -C /tmp/ghml-base   # the baseline's sources
 *   npx tsx bench/logging/ingest-checks-bench.ts --baseline /tmp/ghml-base [--points 1000000] [--samples 7]
 *
 * Times are CPU seconds of this process (user + system), which a busy machine disturbs less
 * than wall-clock time. Prints medians and the ratio this tree / baseline as a Markdown table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, numberArg, stringArg } from '../support/run-history.js';

type EventFileModule = typeof import('../../src/tracking/ingest/event-file.js');
type IngestRunModule = typeof import('../../src/tracking/ingest/ingest-run.js');
type WarningsModule = typeof import('../../src/tracking/ingest/ingest-warnings.js');
type BuilderModule = typeof import('../../src/tracking/ingest/run-builder.js');
type RecordJsonModule = typeof import('../../src/tracking/run-record-json.js');

interface Tree {
  name: string;
  events: EventFileModule;
  ingest: IngestRunModule;
  warnings: WarningsModule;
  builder: BuilderModule;
  json: RecordJsonModule;
}

async function load(name: string, root: string): Promise<Tree> {
  const at = (path: string): string => pathToFileURL(join(root, 'src', path)).href;
  return {
    name,
    events: (await import(at('tracking/ingest/event-file.ts'))) as EventFileModule,
    ingest: (await import(at('tracking/ingest/ingest-run.ts'))) as IngestRunModule,
    warnings: (await import(at('tracking/ingest/ingest-warnings.ts'))) as WarningsModule,
    builder: (await import(at('tracking/ingest/run-builder.ts'))) as BuilderModule,
    json: (await import(at('tracking/run-record-json.ts'))) as RecordJsonModule,
  };
}

const baselineRoot = stringArg('baseline');
if (baselineRoot === undefined) {
  console.error('usage: npx tsx bench/logging/ingest-checks-bench.ts --baseline <dir>');
  process.exit(2);
}
const POINTS = numberArg('points', 1_000_000);
const SAMPLES = numberArg('samples', 7);
const KEYS = 4;
const trees = [
  await load('baseline', resolve(baselineRoot)),
  await load('this tree', resolve(import.meta.dirname, '../..')),
];
const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-checks-'));

/** The events as ghml_log.py flushes them: metric_batch lines of 1000 points. */
function batchFile(): string {
  const path = join(dir, 'batch.jsonl');
  const lines: string[] = [];
  for (let start = 0; start < POINTS; start += 1000) {
    const n = Math.min(1000, POINTS - start);
    const keys: string[] = [];
    const values: number[] = [];
    const steps: number[] = [];
    const timestamps: number[] = [];
    for (let i = start; i < start + n; i++) {
      keys.push(`metric_${i % KEYS}`);
      values.push(1 / (i + 1));
      steps.push(Math.floor(i / KEYS));
      timestamps.push(1732600000000 + i);
    }
    lines.push(JSON.stringify({ type: 'metric_batch', keys, values, steps, timestamps }));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function linesFile(): string {
  const path = join(dir, 'lines.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < POINTS; i++) {
    lines.push(
      JSON.stringify({
        type: 'metric',
        key: `metric_${i % KEYS}`,
        value: 1 / (i + 1),
        step: Math.floor(i / KEYS),
        timestamp: 1732600000000 + i,
      }),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const identity = {
  id: '01JBENCH000000000000000000',
  experiment: 'bench',
  status: 'FINISHED' as const,
  startTime: 1732600000000,
  endTime: 1732600001000,
  exitCode: 0,
  source: { commit: '0'.repeat(40), branch: null, dirty: false },
  github: null,
};

/** CPU seconds of this process so far. */
function cpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Seconds to read + apply `file`, and to build the record. */
async function ingest(tree: Tree, file: string): Promise<{ read: number; build: number }> {
  const builder = new tree.builder.RunBuilder();
  const warnings = new tree.warnings.WarningList();
  const t0 = cpu();
  await tree.events.readEventFile(file, (e) => tree.ingest.applyEvent(builder, e), warnings);
  const t1 = cpu();
  builder.build(identity);
  const t2 = cpu();
  if (builder.metricPoints !== POINTS || warnings.total > 0)
    throw new Error(`${tree.name} lost data`);
  return { read: t1 - t0, build: t2 - t1 };
}

/** Seconds for 2000 run.json texts of a 200-metric run. */
function formats(tree: Tree): number {
  const metrics = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [
      `metric_${i}`,
      { value: i / 3, step: i, timestamp: 1732600000000 + i, min: 0, max: i, count: i + 1 },
    ]),
  );
  const record = {
    ...identity,
    format: 1 as const,
    name: null,
    params: { lr: '0.01', depth: '3' },
    tags: {},
    metrics,
    artifacts: [],
  };
  const t0 = cpu();
  for (let i = 0; i < 2000; i++) tree.json.formatRunRecord(record);
  return cpu() - t0;
}

try {
  const files = { batch: batchFile(), lines: linesFile() };
  const samples = new Map<string, number[]>();
  const add = (key: string, value: number): void => {
    samples.set(key, [...(samples.get(key) ?? []), value]);
  };
  for (const tree of trees) {
    // Warm up both, so JIT state does not favour the one measured second.
    await ingest(tree, files.batch);
    formats(tree);
  }
  for (let s = 0; s < SAMPLES; s++) {
    for (const tree of s % 2 === 0 ? trees : [...trees].reverse()) {
      const batch = await ingest(tree, files.batch);
      add(`${tree.name}|batch read`, batch.read);
      add(`${tree.name}|batch build`, batch.build);
      add(`${tree.name}|lines read`, (await ingest(tree, files.lines)).read);
      add(`${tree.name}|format`, formats(tree));
    }
  }
  const rows: Array<[string, string]> = [
    ['batch read', `read + apply ${POINTS} points in metric_batch lines (s)`],
    ['batch build', `build record + metrics.jsonl of ${POINTS} points (s)`],
    ['lines read', `read + apply ${POINTS} single metric lines (s)`],
    ['format', 'formatRunRecord x 2000, 200 metrics (s)'],
  ];
  console.log(`\n| measure (median of ${SAMPLES}, CPU s) | baseline | this tree | ratio |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [key, label] of rows) {
    const base = median(samples.get(`baseline|${key}`) ?? []);
    const mine = median(samples.get(`this tree|${key}`) ?? []);
    console.log(
      `| ${label} | ${base.toFixed(3)} | ${mine.toFixed(3)} | ${(mine / base).toFixed(3)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
