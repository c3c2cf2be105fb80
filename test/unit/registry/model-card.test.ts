import { formatBytes } from '../../../src/text/format-number.js';
import { describe, expect, it } from 'vitest';
import {
  MODEL_CARD_MARKER,
  mergeReleaseBody,
  renderModelCard,
  type ModelCardInput,
} from '../../../src/registry/releases/model-card.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const RUN_ID = '01J5Q3W6D1Y0Z9C8B7A6F5E4D3';

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    format: 1,
    id: RUN_ID,
    experiment: 'iris',
    name: null,
    status: 'FINISHED',
    startTime: 0,
    endTime: 1,
    exitCode: 0,
    source: { commit: COMMIT, branch: 'main', dirty: false },
    github: {
      repository: 'acme/ml',
      serverUrl: 'https://github.com',
      workflow: 'train',
      runId: '42',
      runAttempt: '2',
      job: 'train',
      prNumber: 7,
    },
    params: { n_estimators: '100', max_depth: '5' },
    tags: {},
    metrics: {},
    artifacts: [],
    ...overrides,
  };
}

function input(
  overrides: { [K in keyof ModelCardInput]?: ModelCardInput[K] | undefined } = {},
): ModelCardInput {
  const card: ModelCardInput = {
    model: 'iris',
    version: 'v1.3.0',
    tag: 'iris@v1.3.0',
    commit: COMMIT,
    description: 'Random forest on iris',
    type: 'sklearn',
    metadata: {
      runId: RUN_ID,
      experiment: 'iris',
      metrics: { accuracy: 0.9667, loss: Number.NaN, latency: Number.POSITIVE_INFINITY },
      paramsDigest: 'a'.repeat(64),
    },
    run: run(),
    files: [{ name: 'model.pkl', sha256: 'b'.repeat(64), size: 48213 }],
    repository: { serverUrl: 'https://github.com', repo: { owner: 'acme', repo: 'ml' } },
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete (card as unknown as Record<string, unknown>)[key];
    else (card as unknown as Record<string, unknown>)[key] = value;
  }
  return card;
}

describe('renderModelCard', () => {
  it('renders metrics, params, lineage, files and download instructions', () => {
    expect(renderModelCard(input())).toMatchSnapshot();
  });

  it('renders without GitHub: no links, no gh command', () => {
    const card = renderModelCard(input({ repository: undefined, run: run({ github: null }) }));
    expect(card).toMatchSnapshot();
    expect(card).not.toContain('](');
    expect(card).not.toContain('gh release download');
  });

  it('escapes values that come from a PR', () => {
    const card = renderModelCard(
      input({
        description: '<img src=x onerror=alert(1)> @admin **bold**',
        metadata: { metrics: { 'acc|<b>': 1 } },
        run: run({
          params: { '[x](javascript:alert(1))': '`rm -rf` | @team' },
          github: { ...run().github!, workflow: '<script>', prNumber: 7 },
        }),
      }),
    );
    expect(card).not.toContain('<img');
    expect(card).not.toContain('<script>');
    expect(card).not.toContain('<b>');
    expect(card).not.toMatch(/@(admin|team)/);
    expect(card).toContain('acc\\|&lt;b&gt;');
    expect(card).toContain('\\[x\\](javascript:alert(1))');
  });

  it('is deterministic and says when nothing was recorded', () => {
    const card = renderModelCard(input({ metadata: {}, run: undefined, files: [] }));
    expect(card).toContain('No metrics were recorded.');
    expect(card).toContain('No model files were attached.');
    expect(renderModelCard(input())).toBe(renderModelCard(input()));
  });
});

describe('mergeReleaseBody', () => {
  it("keeps a person's text and replaces an older card", () => {
    const card = `${MODEL_CARD_MARKER}\n# iris v1\n`;
    expect(mergeReleaseBody('', card)).toBe(card);
    const first = mergeReleaseBody('Notes by a person.\n', card);
    expect(first).toBe(`Notes by a person.\n\n${card}`);
    const newer = `${MODEL_CARD_MARKER}\n# iris v1 (new)\n`;
    expect(mergeReleaseBody(first, newer)).toBe(`Notes by a person.\n\n${newer}`);
  });
});

describe('formatBytes', () => {
  it('uses bytes below 1 KiB and one decimal above', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(48213)).toBe('47.1 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});
