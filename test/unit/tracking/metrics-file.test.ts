import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetricsFile } from '../../../src/tracking/ingest/metrics-file.js';
import { SourceFileError } from '../../../src/tracking/ingest/ingest-errors.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

function write(name: string, content: string): string {
  const path = join(tempDir('ghml-metrics-'), name);
  writeFileSync(path, content);
  return path;
}

describe('readMetricsFile', () => {
  it('flattens nested numbers and keeps NaN / infinities in every spelling', async () => {
    const path = write(
      'metrics.json',
      // What Python's json.dump writes for float('nan') and float('inf').
      '{"eval": {"acc": 0.93, "loss": NaN, "n": 150}, "best": Infinity, "worst": "-Infinity"}',
    );
    const result = await readMetricsFile(path, 'metrics.json');
    expect([...(result?.metrics ?? [])]).toEqual([
      ['eval.acc', 0.93],
      ['eval.loss', Number.NaN],
      ['eval.n', 150],
      ['best', Number.POSITIVE_INFINITY],
      ['worst', Number.NEGATIVE_INFINITY],
    ]);
    expect(result?.warnings).toEqual([]);
  });

  it('warns about non-numeric leaves with their line and keeps the numbers', async () => {
    const path = write(
      'metrics.yaml',
      [
        'acc: 0.9',
        'note: good',
        'ok: true',
        'hist: [1, 2]',
        'x: .nan',
        'bad key!: 1',
        'none:',
        '',
      ].join('\n'),
    );
    const result = await readMetricsFile(path, 'metrics.yaml');
    expect([...(result?.metrics ?? [])]).toEqual([
      ['acc', 0.9],
      ['x', Number.NaN],
    ]);
    expect(result?.warnings).toEqual([
      {
        source: 'metrics.yaml',
        line: 2,
        message: `metric 'note' is "good", not a number; skipped`,
      },
      { source: 'metrics.yaml', line: 3, message: "metric 'ok' is true, not a number; skipped" },
      {
        source: 'metrics.yaml',
        line: 4,
        message: "metric 'hist' is a list, not a number; skipped",
      },
      {
        source: 'metrics.yaml',
        line: 6,
        message:
          "metric name 'bad key!' may only contain letters, digits, '_', '-', '.', ' ' and '/'; skipped",
      },
      { source: 'metrics.yaml', line: 7, message: "metric 'none' is null, not a number; skipped" },
    ]);
  });

  it('names the file, line and column of a syntax error', async () => {
    const path = write('metrics.json', '{\n  "acc": 0.9,\n  "loss" 0.1\n}\n');
    const error = await readMetricsFile(path, 'metrics.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect((error as SourceFileError).message).toMatch(/^metrics\.json:3:\d+: /);
  });

  it('skips a missing file and rejects a top level that is not a mapping', async () => {
    expect(await readMetricsFile(join(tempDir(), 'metrics.json'))).toBeUndefined();
    await expect(readMetricsFile(write('metrics.json', '[1, 2]'), 'metrics.json')).rejects.toThrow(
      'metrics.json:1:1: the top level must be a mapping of metric names',
    );
  });
});

describe('readMetricsFile with alias bombs', () => {
  it('stops expanding nested aliases whose entries are all skipped, with a warning', async () => {
    // 10^8 leaves once expanded, none of them a number.
    const leaves = Array.from({ length: 10 }, (_, j) => `m${j}: text`).join(', ');
    const lines = [`l0: &l0 {${leaves}}`];
    for (let i = 1; i < 8; i++) {
      const refs = Array.from({ length: 10 }, (_, j) => `k${j}: *l${i - 1}`).join(', ');
      lines.push(`l${i}: &l${i} {${refs}}`);
    }
    const path = write('metrics.yaml', `${lines.join('\n')}\n`);
    const result = await readMetricsFile(path, 'metrics.yaml');
    expect(result?.metrics.size).toBe(0);
    expect(result?.warnings.at(-1)?.message).toBe(
      'more than 100000 entries (aliases expand to too many); the rest were skipped',
    );
  });
});

describe('readMetricsFile with many keys', () => {
  it('reads a 200,000-key JSON file, keeps the first 10,000 metrics and warns about the rest', async () => {
    const entries = Array.from({ length: 200_000 }, (_, i) => `"m${i}": ${i / 8}`);
    const path = write('metrics.json', `{${entries.join(',\n')}}\n`);
    const result = await readMetricsFile(path, 'metrics.json');
    expect(result?.metrics.size).toBe(10_000);
    expect(result?.metrics.get('m9999')).toBe(9999 / 8);
    expect(result?.warnings).toEqual([
      {
        source: 'metrics.json',
        message:
          'more than 10000 metrics; the first 10000 (in file order) were recorded, the rest skipped',
      },
    ]);
  });

  it('warns when a YAML file has more than 10,000 metrics, and is silent at exactly 10,000', async () => {
    const yaml = (n: number): string =>
      Array.from({ length: n }, (_, i) => `m${i}: ${i}.5`).join('\n');
    const exact = await readMetricsFile(write('metrics.yaml', yaml(10_000)), 'metrics.yaml');
    expect(exact?.metrics.size).toBe(10_000);
    expect(exact?.warnings).toEqual([]);
    const over = await readMetricsFile(write('metrics.yaml', yaml(10_001)), 'metrics.yaml');
    expect(over?.metrics.size).toBe(10_000);
    expect(over?.warnings.map((w) => w.message)).toEqual([
      'more than 10000 metrics; the first 10000 (in file order) were recorded, the rest skipped',
    ]);
  });

  it('refuses a YAML file over the size limit at once, naming the file and the limit', async () => {
    const lines = Array.from({ length: 1_000_000 }, (_, i) => `m${i}: 0.5`);
    const path = write('metrics.yaml', `${lines.join('\n')}\n`);
    const error = await readMetricsFile(path, 'metrics.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    expect((error as Error).message).toMatch(
      /^metrics\.yaml: is \d+ bytes; params and metrics files are read as YAML up to 2097152 bytes$/,
    );
  });

  it('still refuses a repeated key, naming its line', async () => {
    const path = write('metrics.yaml', 'acc: 0.5\nloss: 0.1\nacc: 0.7\n');
    await expect(readMetricsFile(path, 'metrics.yaml')).rejects.toThrow(
      'metrics.yaml:3:1: Map keys must be unique',
    );
  });
});
