import { describe, expect, it } from 'vitest';
import { toRunRef, workflowUrlOf } from '../../../src/compare/run-ref.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { makeRun } from './fixtures.js';

function withGithub(patch: Partial<NonNullable<RunRecord['github']>>): RunRecord {
  const run = makeRun({ commit: 'c'.repeat(40), matrix: { seed: '1' } });
  return { ...run, github: { ...run.github!, ...patch } };
}

describe('toRunRef', () => {
  it('carries id, commit, matrix key and the workflow run link', () => {
    const run = withGithub({ runId: '123' });
    expect(toRunRef(run)).toEqual({
      id: run.id,
      commit: 'c'.repeat(40),
      matrixKey: 'seed=1',
      workflowUrl: 'https://github.com/acme/ml/actions/runs/123',
    });
  });

  it('supports GitHub Enterprise Server URLs', () => {
    expect(workflowUrlOf(withGithub({ serverUrl: 'https://ghe.example.com/' }))).toBe(
      'https://ghe.example.com/acme/ml/actions/runs/42',
    );
  });

  it('makes no link from untrusted parts that are not plain', () => {
    for (const patch of [
      { serverUrl: 'javascript:alert(1)' },
      { serverUrl: 'not a url' },
      { serverUrl: 'https://user:pw@github.com' },
      { repository: 'acme/ml/../../evil' },
      { repository: '<script>/x' },
      { runId: '12; rm -rf /' },
      { runId: '' },
    ]) {
      expect(workflowUrlOf(withGithub(patch))).toBeNull();
    }
    expect(workflowUrlOf(makeRun({ commit: 'c'.repeat(40) }))).toBeNull();
  });
});
