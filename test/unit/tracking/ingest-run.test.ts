import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ingestRun,
  writtenSince,
  type IngestRunInput,
} from '../../../src/tracking/ingest/ingest-run.js';
import { RunBuilder, parseMetricsJsonl } from '../../../src/tracking/ingest/run-builder.js';
import { StdoutMetricsParser } from '../../../src/tracking/ingest/stdout-metrics.js';
import { formatWarning } from '../../../src/tracking/ingest/ingest-warnings.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

const run: IngestRunInput['run'] = {
  id: '01JDXYZ0000000000000000000',
  experiment: 'iris',
  status: 'FINISHED',
  startTime: 1,
  endTime: 2,
  exitCode: 0,
  source: { commit: 'c'.repeat(40), branch: 'main', dirty: false },
  github: null,
};
const limits = { maxFileBytes: 1024, maxTotalBytes: 4096 };

describe('ingestRun', () => {
  it('combines params file, events, stdout, metrics file and artifacts', async () => {
    const cwd = tempDir('ghml-ingest-');
    writeFileSync(join(cwd, 'params.yaml'), 'train:\n  lr: 0.01\n  epochs: 3\n');
    writeFileSync(join(cwd, 'metrics.json'), '{"acc": 0.95, "loss": NaN}');
    const artifacts = join(cwd, 'artifacts');
    mkdirSync(artifacts);
    writeFileSync(join(artifacts, 'model.pkl'), 'weights');
    const events = join(cwd, 'events.jsonl');
    writeFileSync(
      events,
      [
        '{"type":"param","key":"train.lr","value":"0.01"}',
        '{"type":"param","key":"train.lr","value":"0.5"}',
        '{"type":"metric_batch","keys":["acc","acc","loss"],"values":[0.9,0.93,"Infinity"],"steps":[0,1,null],"timestamps":[10,11,12]}',
        'garbage',
        '{"type":"tag","key":"note","value":"hello"}',
        '{"type":"artifact","path":"model.pkl"}',
        '{"type":"metric","key":"acc","value":0.4,"step":0,"timestamp":9,"extra":"ignored"}',
        '',
      ].join('\n'),
    );
    const builder = new RunBuilder({ now: () => 100 });
    const stdout = new StdoutMetricsParser(builder, { now: () => 50 });
    stdout.write('epoch=0 throughput=10.0\nepoch=1 throughput=12.0\n');
    stdout.end();

    const result = await ingestRun({
      run,
      builder,
      cwd,
      eventsFile: events,
      paramsFiles: ['params.yaml', 'params.json'],
      metricsFiles: ['metrics.json', 'metrics.yaml'],
      artifactsDir: artifacts,
      artifactLimits: limits,
    });
    expect(result.record.params).toEqual({ 'train.epochs': '3', 'train.lr': '0.01' });
    expect(result.record.tags).toEqual({ note: 'hello' });
    // metrics.json disagrees with the logged series of acc and loss: the logged points win.
    expect(result.record.metrics.acc).toEqual({
      value: 0.93,
      step: 1,
      timestamp: 11,
      min: 0.4,
      max: 0.93,
      count: 3,
    });
    expect(result.record.metrics.loss).toMatchObject({ value: Number.POSITIVE_INFINITY, count: 1 });
    expect(result.record.metrics.throughput).toMatchObject({ value: 12, step: 1, count: 2 });
    expect(result.record.artifacts).toEqual([
      expect.objectContaining({ path: 'model.pkl', size: 7, stored: true }),
    ]);
    // The writer stores a copy made while hashing, next to the artifacts folder.
    expect(result.artifactFiles).toEqual([
      { path: 'model.pkl', file: join(result.artifactCopies ?? '', '0') },
    ]);
    expect(result.artifactCopies?.startsWith(join(cwd, 'stored-'))).toBe(true);
    expect(readFileSync(result.artifactFiles[0]?.file ?? '', 'utf8')).toBe('weights');
    expect(result.warnings.map(formatWarning)).toEqual([
      "events:2: param 'train.lr' was already logged as '0.01'; params are immutable within a run, cannot change it to '0.5'. Event skipped.",
      expect.stringMatching(/^events:4: not valid JSON/),
      "metrics.json: metric 'acc' is 0.95 here but the run logged 0.93 last; the logged value is kept",
      "metrics.json: metric 'loss' is NaN here but the run logged Infinity last; the logged value is kept",
    ]);
    const lines = result.metricsJsonl.toString().trim().split('\n');
    expect(lines).toContain('{"key":"loss","value":"Infinity","step":0,"timestamp":12}');
    expect(parseMetricsJsonl(result.metricsJsonl)).toHaveLength(6);
    expect(result.events).toEqual({ found: true, lines: 7, events: 5, skipped: 2 });
  });

  it('reads a metrics file only when it was written after the run started', async () => {
    const cwd = tempDir('ghml-ingest-');
    const stale = join(cwd, 'metrics.json');
    const fresh = join(cwd, 'metrics.yaml');
    writeFileSync(stale, '{"acc": 0.5, "old_only": 1}');
    writeFileSync(fresh, 'f1: 0.7\n');
    const startTime = Date.now();
    // metrics.json is an hour old: left over from an earlier run.
    const hourAgo = new Date(startTime - 3_600_000);
    utimesSync(stale, hourAgo, hourAgo);
    const now = new Date(startTime + 5);
    utimesSync(fresh, now, now);
    const result = await ingestRun({
      run: { ...run, status: 'KILLED', exitCode: null, startTime, endTime: startTime + 10 },
      cwd,
      metricsFiles: ['metrics.json', 'metrics.yaml'],
      artifactLimits: limits,
    });
    expect(Object.keys(result.record.metrics)).toEqual(['f1']);
    expect(result.warnings.map(formatWarning)).toEqual([
      expect.stringMatching(
        /^metrics\.json: not read: it was last written at .*, before this run started at .* \(left over from an earlier run\?\)$/,
      ),
    ]);
  });

  it.each([
    ['a file system with nanosecond times, a file stamped by a lagging clock', 1000.5, 1010, true],
    ['a file system with nanosecond times, a file from before the run', 900.5, 1010, false],
    ['a file system with whole seconds, a file written in the start second', 5000, 5999, true],
    ['a file system with whole seconds, a file from the second before', 3000, 4999, false],
    ['FAT (even seconds)', 4000, 5999, true],
  ])(
    'decides "written since the start" at the file system resolution: %s',
    (_n, mtime, start, ok) => {
      expect(writtenSince(mtime, start)).toBe(ok);
    },
  );

  it('keeps the run when the params file is broken and nothing was logged', async () => {
    const cwd = tempDir('ghml-ingest-');
    writeFileSync(join(cwd, 'params.yaml'), 'a: [1,\n');
    const result = await ingestRun({
      run: { ...run, status: 'FAILED', exitCode: 1 },
      cwd,
      eventsFile: join(cwd, 'never-written.jsonl'),
      paramsFiles: ['params.yaml'],
      artifactsDir: join(cwd, 'no-artifacts'),
      artifactLimits: limits,
    });
    expect(result.record.status).toBe('FAILED');
    expect(result.record.params).toEqual({});
    expect(result.metricsJsonl.length).toBe(0);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]?.message).toMatch(/^params\.yaml:2:1: /);
    expect(result.events.found).toBe(false);
  });

  it('reports each bad key of a batch once and keeps the other points', async () => {
    const cwd = tempDir('ghml-ingest-');
    const events = join(cwd, 'events.jsonl');
    writeFileSync(
      events,
      '{"type":"metric_batch","keys":["a//b","ok","a//b"],"values":[1,2,3],"steps":[0,0,1],"timestamps":[1,1,1]}\n',
    );
    const result = await ingestRun({ run, cwd, eventsFile: events, artifactLimits: limits });
    expect(result.record.metrics.ok?.count).toBe(1);
    expect(result.warnings.map(formatWarning)).toEqual([
      "events:1: Invalid metric key 'a//b': must not contain '//'. Point skipped.",
    ]);
  });
});
