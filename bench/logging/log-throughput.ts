/**
 * Logging throughput: N metric points written by templates/python/ghml_log.py, then read and
 * built into a run by src/tracking (events file -> RunBuilder -> run.json + metrics.jsonl).
 *
 *   npx tsx bench/logging/log-throughput.ts [--points 1000000] [--keys 4]
 *
 * Prints seconds for each part and the total as a Markdown table. For comparison it also times
 * a naive Python writer (json.dumps + write per call, no validation, no locking).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { formatEvent, readEventFile } from '../../src/tracking/ingest/event-file.js';
import { applyEvent } from '../../src/tracking/ingest/ingest-run.js';
import { WarningList } from '../../src/tracking/ingest/ingest-warnings.js';
import { RunBuilder } from '../../src/tracking/ingest/run-builder.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? undefined : Number(process.argv[i + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const points = arg('points', 1_000_000);
const keys = arg('keys', 4);
const helperDir = resolve(import.meta.dirname, '../../templates/python');
const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-logging-'));

/** Runs a Python loop; returns wall seconds for the whole process and for the loop alone. */
function python(body: string, env: Record<string, string>): { wall: number; loop: number } {
  const script = [
    'import time, sys',
    't0 = time.perf_counter()',
    body,
    'sys.stdout.write("%.6f" % (time.perf_counter() - t0))',
  ].join('\n');
  const start = performance.now();
  const ran = spawnSync('python3', ['-c', script], {
    env: { ...process.env, PYTHONPATH: helperDir, PYTHONDONTWRITEBYTECODE: '1', ...env },
    encoding: 'utf8',
  });
  const wall = (performance.now() - start) / 1000;
  if (ran.status !== 0) throw new Error(`python failed: ${ran.stderr}`);
  return { wall, loop: Number(ran.stdout) };
}

const loopBody = (call: string): string =>
  [
    `names = ["metric_%d" % k for k in range(${keys})]`,
    `for i in range(${points}):`,
    `    ${call}`,
  ].join('\n');

try {
  const events = join(dir, 'events.jsonl');
  const py = python(
    `import ghml_log\nlog_metric = ghml_log.log_metric\n${loopBody(
      `log_metric(names[i % ${keys}], 1.0 / (i + 1), step=i // ${keys})`,
    )}\nghml_log.flush()`,
    { GHML_EVENTS: events },
  );
  const eventsBytes = statSync(events).size;

  const t0 = performance.now();
  const builder = new RunBuilder();
  const warnings = new WarningList();
  const summary = await readEventFile(events, (event) => applyEvent(builder, event), warnings);
  const t1 = performance.now();
  const built = builder.build({
    id: '01JBENCH000000000000000000',
    experiment: 'bench',
    status: 'FINISHED',
    startTime: 0,
    endTime: 1,
    exitCode: 0,
    source: { commit: '0'.repeat(40), branch: null, dirty: false },
    github: null,
  });
  const t2 = performance.now();
  if (warnings.total > 0 || builder.metricPoints !== points) {
    throw new Error(
      `ingestion lost data: ${builder.metricPoints} points, ${warnings.total} warnings`,
    );
  }

  const naive = python(
    `import json\nf = open(${JSON.stringify(join(dir, 'naive.jsonl'))}, "a")\n${loopBody(
      `f.write(json.dumps({"type": "metric", "key": names[i % ${keys}], "value": 1.0 / (i + 1), "step": i // ${keys}, "timestamp": int(time.time() * 1000)}) + "\\n")`,
    )}\nf.close()`,
    {},
  );

  // The same number of points as one `metric` line each (how shell, R or `ghml log` write).
  const lines = join(dir, 'lines.jsonl');
  const parts: string[] = [];
  for (let i = 0; i < points; i++) {
    parts.push(
      formatEvent({
        type: 'metric',
        key: `metric_${i % keys}`,
        value: 1 / (i + 1),
        step: Math.floor(i / keys),
        timestamp: 1732600000000 + i,
      }),
    );
  }
  writeFileSync(lines, parts.join(''));
  parts.length = 0;
  const linesBytes = statSync(lines).size;
  const t3 = performance.now();
  const lineBuilder = new RunBuilder();
  await readEventFile(lines, (event) => applyEvent(lineBuilder, event), warnings);
  const t4 = performance.now();
  if (lineBuilder.metricPoints !== points) throw new Error('line ingestion lost data');

  const read = (t1 - t0) / 1000;
  const build = (t2 - t1) / 1000;
  const rows: Array<[string, string]> = [
    ['points / keys', `${points} / ${keys}`],
    ['python: ghml_log loop (s)', py.loop.toFixed(2)],
    ['python: process incl. startup (s)', py.wall.toFixed(2)],
    ['events file (MB, lines)', `${(eventsBytes / 1e6).toFixed(1)}, ${summary.lines}`],
    ['node: read + apply events (s)', read.toFixed(2)],
    ['node: build record + metrics.jsonl (s)', build.toFixed(2)],
    ['metrics.jsonl (MB)', (built.metricsJsonl.length / 1e6).toFixed(1)],
    [
      '**total: python process + ingest + build (s)**',
      `**${(py.wall + read + build).toFixed(2)}**`,
    ],
    ['baseline: naive json.dumps per call, loop (s)', naive.loop.toFixed(2)],
    [
      `node: read + apply ${points} single \`metric\` lines, ${(linesBytes / 1e6).toFixed(0)} MB (s)`,
      ((t4 - t3) / 1000).toFixed(2),
    ],
  ];
  console.log('| measure | value |\n| --- | --- |');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
