/**
 * Params and metrics files with many flat keys (issue 9, L2): this tree against a baseline
 * checkout, in the same process. The baseline's YAML parse checks key uniqueness pairwise
 * (quadratic), so it is run only at the sizes it finishes in seconds.
 *
 *   git archive <baseline-commit> | tar -x -C /tmp/ghml-base   # the baseline's sources
 *   npx tsx bench/logging/source-files-bench.ts --baseline /tmp/ghml-base [--samples 3]
 *
 * Prints the median seconds of each read (or of its refusal) as a Markdown table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, numberArg, stringArg } from '../support/run-history.js';

type MetricsModule = typeof import('../../src/tracking/ingest/metrics-file.js');
type ParamsModule = typeof import('../../src/tracking/ingest/params-file.js');

async function load(root: string): Promise<{ metrics: MetricsModule; params: ParamsModule }> {
  const at = (path: string): string => pathToFileURL(join(root, 'src', path)).href;
  return {
    metrics: (await import(at('tracking/ingest/metrics-file.ts'))) as MetricsModule,
    params: (await import(at('tracking/ingest/params-file.ts'))) as ParamsModule,
  };
}

const baselineRoot = stringArg('baseline');
if (baselineRoot === undefined) {
  console.error('usage: npx tsx bench/logging/source-files-bench.ts --baseline <dir>');
  process.exit(2);
}
const SAMPLES = numberArg('samples', 3);
const baseline = await load(resolve(baselineRoot));
const current = await load(resolve(import.meta.dirname, '../..'));
const dir = mkdtempSync(join(tmpdir(), 'ghml-bench-files-'));

function file(name: string, keys: number, format: 'yaml' | 'json'): string {
  const path = join(dir, `${keys}-${name}`);
  const entries = Array.from({ length: keys }, (_, i) =>
    format === 'json' ? `"k${i}": ${i / 8}` : `k${i}: ${i / 8}`,
  );
  writeFileSync(path, format === 'json' ? `{${entries.join(',\n')}}\n` : `${entries.join('\n')}\n`);
  return path;
}

/** Median seconds of `read`; a refusal counts as finished (its time is what is measured). */
async function seconds(read: () => Promise<unknown>): Promise<string> {
  const times: number[] = [];
  let refused = false;
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    try {
      await read();
    } catch {
      refused = true;
    }
    times.push((performance.now() - t0) / 1000);
  }
  return `${median(times).toFixed(2)}${refused ? ' (refused: over the YAML size limit)' : ''}`;
}

try {
  const rows: string[] = [];
  for (const keys of [20_000, 1_000_000]) {
    const yaml = file('metrics.yaml', keys, 'yaml');
    const json = file('metrics.json', keys, 'json');
    const params = file('params.yaml', keys, 'yaml');
    const old = keys <= 20_000;
    const run = async (
      label: string,
      base: (() => Promise<unknown>) | undefined,
      mine: () => Promise<unknown>,
    ): Promise<void> => {
      rows.push(
        `| ${label}, ${keys} keys | ${base === undefined ? 'not run (quadratic)' : await seconds(base)} | ${await seconds(mine)} |`,
      );
    };
    await run('metrics.yaml', old ? () => baseline.metrics.readMetricsFile(yaml) : undefined, () =>
      current.metrics.readMetricsFile(yaml),
    );
    await run('metrics.json', old ? () => baseline.metrics.readMetricsFile(json) : undefined, () =>
      current.metrics.readMetricsFile(json),
    );
    await run('params.yaml', old ? () => baseline.params.readParamsFile(params) : undefined, () =>
      current.params.readParamsFile(params),
    );
  }
  console.log(`\n| file (median of ${SAMPLES}, s) | baseline | this tree |`);
  console.log('| --- | ---: | ---: |');
  for (const row of rows) console.log(row);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
