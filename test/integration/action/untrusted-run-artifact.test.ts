/** Validation of a pull_request workflow's run artifact as untrusted data, on real folders. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UntrustedArtifactError } from '../../../src/action/action-errors.js';
import {
  DEFAULT_ARTIFACT_CAPS,
  readUntrustedRunArtifact,
  type ArtifactCaps,
} from '../../../src/action/untrusted-run-artifact.js';
import { formatMetricLines, formatRunRecord } from '../../../src/tracking/run-record-json.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';

const HEAD = 'a'.repeat(40);
const RUN_A = '01HZZZZZZZZZZZZZZZZZZZZZZA';
const RUN_B = '01HZZZZZZZZZZZZZZZZZZZZZZB';
const MODEL = Buffer.from('model bytes');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function record(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    format: 1,
    id,
    experiment: 'iris',
    name: null,
    status: 'FINISHED',
    startTime: 1,
    endTime: 2,
    exitCode: 0,
    source: { commit: HEAD, branch: 'fork-branch', dirty: false },
    github: {
      repository: 'o/r',
      serverUrl: 'https://github.com',
      workflow: 'w',
      runId: '1',
      runAttempt: '1',
      job: 'j',
      prNumber: 21,
    },
    params: { lr: '0.1' },
    tags: {},
    metrics: {
      acc: { value: Number.NaN, step: 0, timestamp: 1, min: Number.NaN, max: Number.NaN, count: 1 },
    },
    artifacts: [
      {
        path: 'model/model.bin',
        size: MODEL.length,
        sha256: createHash('sha256').update(MODEL).digest('hex'),
        stored: true,
      },
    ],
    ...overrides,
  };
}

/** Writes run folders the way run-record-export.ts does. */
function artifact(runs: RunRecord[] = [record(RUN_A)]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-artifact-'));
  dirs.push(dir);
  for (const run of runs) {
    const folder = join(dir, run.id);
    mkdirSync(join(folder, 'artifacts', 'model'), { recursive: true });
    writeFileSync(join(folder, 'run.json'), formatRunRecord(run));
    writeFileSync(
      join(folder, 'metrics.jsonl'),
      formatMetricLines([{ key: 'acc', value: Number.NaN, step: 0, timestamp: 1 }]),
    );
    if (run.artifacts.some((a) => a.path === 'model/model.bin' && a.stored))
      writeFileSync(join(folder, 'artifacts', 'model', 'model.bin'), MODEL);
  }
  return dir;
}

const TRUSTED = { repository: 'acme/models', serverUrl: 'https://ghe.example.com' };

const expectations = (caps: Partial<ArtifactCaps> = {}) => ({
  headSha: HEAD,
  ...TRUSTED,
  caps: { ...DEFAULT_ARTIFACT_CAPS, ...caps },
});

/** Rewrites one run's run.json text (the formatter refuses bad values, an attacker does not). */
function editRunJson(dir: string, edit: (text: string) => string, id = RUN_A): void {
  const path = join(dir, id, 'run.json');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
}

async function rejection(dir: string, caps: Partial<ArtifactCaps> = {}): Promise<string> {
  const error = await readUntrustedRunArtifact(dir, expectations(caps)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UntrustedArtifactError);
  return (error as Error).message;
}

describe('readUntrustedRunArtifact', () => {
  it('accepts what ghml exported, keeping NaN and re-formatting metrics canonically', async () => {
    const dir = artifact([record(RUN_A), record(RUN_B)]);
    const result = await readUntrustedRunArtifact(dir, expectations());
    expect(result.prNumber).toBe(21);
    expect(result.runs.map((r) => r.record.id)).toEqual([RUN_A, RUN_B]);
    expect(Number.isNaN(result.runs[0]?.record.metrics['acc']?.value)).toBe(true);
    expect(result.runs[0]?.metricsJsonl.toString()).toBe(
      '{"key":"acc","value":"NaN","step":0,"timestamp":1}\n',
    );
    expect(result.runs[0]?.artifacts).toEqual([
      { path: 'model/model.bin', file: join(dir, RUN_A, 'artifacts', 'model', 'model.bin') },
    ]);
  });

  it.each<[string, (dir: string) => void, string, Partial<ArtifactCaps>?]>([
    [
      'a missing run.json',
      (d) => rmSync(join(d, RUN_A, 'run.json')),
      "'01HZZZZZZZZZZZZZZZZZZZZZZA/run.json' is missing",
    ],
    [
      'a folder that is not a run id',
      (d) => {
        mkdirSync(join(d, 'runs', 'x'), { recursive: true });
        writeFileSync(join(d, 'runs', 'x', 'run.json'), '{}');
      },
      "unexpected entry 'runs/x/run.json'",
    ],
    [
      'a run id that differs from its folder',
      (d) => writeFileSync(join(d, RUN_A, 'run.json'), formatRunRecord(record(RUN_B))),
      `holds run '${RUN_B}'`,
    ],
    [
      'a RUNNING run',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(record(RUN_A, { status: 'RUNNING' })),
        ),
      'still RUNNING',
    ],
    [
      'a newer format',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(record(RUN_A)).replace('"format": 1', '"format": 3'),
        ),
      'newer ghml',
    ],
    [
      'a bad param key',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(record(RUN_A, { params: { '../x': '1' } })),
        ),
      "'../x'",
    ],
    [
      'a param value over 6000 characters',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(record(RUN_A, { params: { lr: 'x'.repeat(6001) } })),
        ),
      '6000',
    ],
    [
      'no PR number',
      (d) =>
        writeFileSync(join(d, RUN_A, 'run.json'), formatRunRecord(record(RUN_A, { github: null }))),
      'names no pull request',
    ],
    [
      'a broken metrics line',
      (d) => writeFileSync(join(d, RUN_A, 'metrics.jsonl'), '{"key":"acc","value":1}\n'),
      'metrics.jsonl:1',
    ],
    [
      'a metric missing from run.json',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'metrics.jsonl'),
          '{"key":"other","value":1,"step":0,"timestamp":1}\n',
        ),
      "metric 'other' is not in run.json",
    ],
    [
      'an artifact whose bytes changed',
      (d) => writeFileSync(join(d, RUN_A, 'artifacts', 'model', 'model.bin'), 'evil bytes!'),
      'does not match its size and sha256',
    ],
    [
      'an artifact not in the index',
      (d) => writeFileSync(join(d, RUN_A, 'artifacts', 'extra.txt'), 'x'),
      'not in the artifact index',
    ],
    [
      'an artifact listed twice',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(
            record(RUN_A, { artifacts: [...record(RUN_A).artifacts, ...record(RUN_A).artifacts] }),
          ),
        ),
      'listed twice',
    ],
    [
      'an absolute artifact path',
      (d) =>
        writeFileSync(
          join(d, RUN_A, 'run.json'),
          formatRunRecord(
            record(RUN_A, {
              artifacts: [{ path: '/etc/passwd', size: 1, sha256: 'a'.repeat(64), stored: false }],
            }),
          ),
        ),
      "must not start with '/'",
    ],
    [
      'a file in a run folder ghml never writes',
      (d) => writeFileSync(join(d, RUN_A, 'hook.sh'), 'x'),
      "unexpected file '01HZZZZZZZZZZZZZZZZZZZZZZA/hook.sh'",
    ],
    [
      'a symbolic link',
      (d) => symlinkSync('/etc/passwd', join(d, RUN_A, 'metrics.jsonl.link')),
      'is a symbolic link',
    ],
    ['too many files', () => undefined, 'more than 2 files', { maxFiles: 2 }],
    ['too many bytes', () => undefined, 'larger than 100 bytes', { maxTotalBytes: 100 }],
    ['a run.json over its cap', () => undefined, 'over the limit of 50', { maxRunJsonBytes: 50 }],
    [
      'an artifact file over the ghml.yml limit',
      () => undefined,
      'over the limit of 4',
      { maxArtifactFileBytes: 4 },
    ],
    ['folders nested too deep', () => undefined, 'nested deeper than 1', { maxDepth: 1 }],
  ])('rejects %s', async (_name, tamper, message, caps) => {
    const dir = artifact();
    tamper(dir);
    expect(await rejection(dir, caps)).toContain(message);
  });

  it('rejects runs that name different pull requests', async () => {
    const other = record(RUN_B);
    other.github = { ...(other.github as NonNullable<RunRecord['github']>), prNumber: 22 };
    expect(await rejection(artifact([record(RUN_A), other]))).toContain(
      'different pull requests (#21 and #22)',
    );
  });

  it('rejects a run that trained on another commit than the workflow run', async () => {
    const error = await readUntrustedRunArtifact(artifact(), {
      headSha: 'b'.repeat(40),
      ...TRUSTED,
      caps: DEFAULT_ARTIFACT_CAPS,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`trained on commit ${HEAD}`);
  });

  it.each<[string, (text: string) => string, string]>([
    ['startTime 1e300', (t) => t.replace('"startTime": 1,', '"startTime": 1e300,'), "'startTime'"],
    [
      'startTime -8.64e15-1',
      (t) => t.replace('"startTime": 1,', '"startTime": -8640000000000001,'),
      "'startTime'",
    ],
    [
      'endTime 8.64e15+1',
      (t) => t.replace('"endTime": 2,', '"endTime": 8640000000000001,'),
      "'endTime'",
    ],
    [
      'a fractional startTime',
      (t) => t.replace('"startTime": 1,', '"startTime": 1.5,'),
      "'startTime'",
    ],
    [
      'a metric summary timestamp past the range of a date',
      (t) => t.replace('"timestamp": 1,', '"timestamp": 1e300,'),
      "'metrics.acc.timestamp'",
    ],
  ])(
    'rejects a time a date cannot hold (%s), naming the file and the field',
    async (_name, edit, field) => {
      const dir = artifact();
      editRunJson(dir, edit);
      const message = await rejection(dir);
      expect(message).toContain(`${RUN_A}/run.json`);
      expect(message).toContain(field);
      expect(message).toContain('8640000000000000');
    },
  );

  it('rejects a metrics.jsonl timestamp a date cannot hold, naming the line', async () => {
    const dir = artifact();
    writeFileSync(
      join(dir, RUN_A, 'metrics.jsonl'),
      '{"key":"acc","value":1,"step":0,"timestamp":1}\n{"key":"acc","value":1,"step":1,"timestamp":-1}\n',
    );
    const message = await rejection(dir);
    expect(message).toContain(`${RUN_A}/metrics.jsonl:2`);
    expect(message).toContain("'timestamp'");
  });

  it('replaces the github repository and server URL with the trusted ones', async () => {
    const run = record(RUN_A);
    run.github = {
      ...(run.github as NonNullable<RunRecord['github']>),
      repository: 'attacker/phish',
      serverUrl: 'https://evil.example',
    };
    const result = await readUntrustedRunArtifact(artifact([run]), expectations());
    expect(result.runs[0]?.record.github).toMatchObject(TRUSTED);
  });

  it('accepts what the producer records: matrix names such as python:version', async () => {
    const run = record(RUN_A);
    run.github = {
      ...(run.github as NonNullable<RunRecord['github']>),
      matrix: { 'python:version': '3.12', 'os name': 'ubuntu-latest' },
    };
    run.name = 'n'.repeat(250);
    const result = await readUntrustedRunArtifact(artifact([run]), expectations());
    expect(result.runs[0]?.record.github?.matrix).toEqual({
      'os name': 'ubuntu-latest',
      'python:version': '3.12',
    });
  });

  it.each<[string, (text: string) => string, string]>([
    [
      'a run name over 250 characters',
      (t) => t.replace('"name": null', `"name": "${'n'.repeat(251)}"`),
      "'name'",
    ],
    [
      'a matrix name __proto__',
      (t) => t.replace('"prNumber": 21', '"prNumber": 21, "matrix": {"__proto__": "x"}'),
      '__proto__',
    ],
    ['a param named __proto__', (t) => t.replace('"lr": "0.1"', '"__proto__": "0.1"'), '__proto__'],
    [
      'a metric named __proto__',
      (t) => t.replace('"metrics": {\n    "acc"', '"metrics": {\n    "__proto__"'),
      '__proto__',
    ],
    [
      'a workflow run id that is not a number',
      (t) => t.replace('"runId": "1"', '"runId": "../../x"'),
      "'github.runId'",
    ],
  ])('rejects %s', async (_name, edit, message) => {
    const dir = artifact();
    editRunJson(dir, edit);
    expect(await rejection(dir)).toContain(message);
  });

  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty'])(
    'rejects a metrics.jsonl key %s that run.json does not list',
    async (key) => {
      const dir = artifact();
      writeFileSync(
        join(dir, RUN_A, 'metrics.jsonl'),
        `{"key":"${key}","value":1,"step":0,"timestamp":1}\n`,
      );
      expect(await rejection(dir)).toContain(`metric '${key}' is not in run.json`);
    },
  );

  it('rejects an empty or missing folder', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ghml-artifact-'));
    dirs.push(empty);
    expect(await rejection(empty)).toContain('holds no run');
    expect(await rejection(join(empty, 'nope'))).toContain('does not exist');
  });
});
