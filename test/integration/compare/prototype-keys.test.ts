/**
 * Every `Object.prototype` name (`toString`, `constructor`, `__proto__`, …) as a param, metric,
 * tag and matrix key: compare (text, md, json), the sweep leaderboard, the run filter and
 * order-by must treat them as plain keys, never reach the prototype.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../../src/compare/compare-service.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { metricSettings } from '../../../src/config/settings-lookup.js';
import { comparisonMarkdown } from '../../../src/compare/pr-report-publisher.js';
import { renderJsonReport } from '../../../src/report/json-report.js';
import { renderTextReport } from '../../../src/report/text-report.js';
import { parseRunFilter, compileRunFilter } from '../../../src/tracking/query/run-filter.js';
import { parseOrderBy, sortRuns } from '../../../src/tracking/query/run-order.js';
import type { MetricSummary, RunRecord } from '../../../src/tracking/run-record.js';
import { ExecGitRunner } from '../../support/exec-git-runner.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { makeRun, MemoryRunSource } from '../../unit/compare/fixtures.js';

afterAll(cleanupTempDirs);

const NAMES = Object.getOwnPropertyNames(Object.prototype);

/** Own properties only: `fromEntries` defines, so `__proto__` becomes a plain key. */
function record<T>(entries: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(entries);
}

const summary = (value: number): MetricSummary => ({
  value,
  step: 0,
  timestamp: 0,
  min: value,
  max: value,
  count: 1,
});

function withKeys(
  run: RunRecord,
  params: Array<[string, string]>,
  metrics: Array<[string, number]>,
  tags: Array<[string, string]>,
  matrix: Record<string, string>,
): RunRecord {
  return {
    ...run,
    params: record(params),
    metrics: record(metrics.map(([k, v]) => [k, summary(v)] as [string, MetricSummary])),
    tags: record(tags),
    github: { ...(run.github ?? makeRun({ commit: '0', matrix: {} }).github!), matrix },
  };
}

describe('Object.prototype names as keys', () => {
  const dir = makeRepo();
  const base = git(dir, 'rev-parse', 'HEAD');
  const head = commitFile(dir, 'train.py', '# v2\n');
  const config = parseConfig('', 'ghml.yml');

  it.each(NAMES)(
    "compare, leaderboard, filter and order-by take '%s' as a plain key",
    async (name) => {
      // Only some head runs have the key, so the leaderboard looks it up on rows without it.
      const runs: RunRecord[] = [];
      for (const [i, commit] of [base, head, head, head].entries()) {
        const has = i !== 2;
        runs.push(
          withKeys(
            makeRun({ commit }),
            has
              ? [
                  [name, `p${i}`],
                  ['lr', `0.${i}`],
                ]
              : [['lr', `0.${i}`]],
            has
              ? [
                  [name, i],
                  ['accuracy', i / 10],
                ]
              : [['accuracy', i / 10]],
            has ? [[name, `t${i}`]] : [],
            record([[name, `m${i}`]]),
          ),
        );
      }
      const source = new MemoryRunSource(runs as never);
      const comparison = await compareRuns({
        runSource: source,
        git: new ExecGitRunner(dir),
        settingsLookup: (experiment, key) => metricSettings(config, experiment, key),
        objectiveLookup: () => null,
        remote: 'origin',
        prBaseSha: base,
      });
      const experiment = comparison.experiments[0];
      expect(experiment?.leaderboard?.rows).toHaveLength(3);
      const text = renderTextReport(comparison, { color: false, all: true });
      expect(text).toContain(name);
      const md = comparisonMarkdown(comparison, true);
      expect(md).toContain('Sweep leaderboard');
      expect(md).toContain('_(not set)_');
      const json = JSON.parse(renderJsonReport(comparison)) as {
        experiments: Array<{ runs: Array<{ allParams: Array<{ key: string }> }> }>;
      };
      const keys = json.experiments[0]?.runs.flatMap((r) => r.allParams.map((p) => p.key));
      expect(keys).toContain(name);

      for (const [prefix, expected] of [
        [`params.\`${name}\` = 'p1'`, [runs[1]?.id]],
        [`tags.\`${name}\` LIKE 't%'`, [runs[0]?.id, runs[1]?.id, runs[3]?.id]],
        [`metrics.\`${name}\` >= 1`, [runs[1]?.id, runs[3]?.id]],
        [`params.\`${name}\` IS NULL`, [runs[2]?.id]],
      ] as const) {
        const match = compileRunFilter(parseRunFilter(prefix));
        expect(runs.filter(match).map((r) => r.id)).toEqual(expected);
      }
      const sorted = sortRuns(runs, parseOrderBy([`metrics.\`${name}\` DESC`]));
      expect(sorted.map((r) => r.id)).toEqual(
        [runs[3], runs[1], runs[0], runs[2]].map((r) => r?.id),
      );
    },
  );
});
