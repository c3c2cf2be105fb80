import { describe, expect, it } from 'vitest';
import {
  formatHistory,
  nextHistory,
  parseHistory,
  readDeployedVersion,
  stageSelector,
} from '../../../src/deploy/manifests/deploy-labels.js';

function live(version: string, history: unknown[] = [], templateVersion?: string) {
  return {
    metadata: {
      annotations: {
        'ghml.dev/model': 'iris',
        'ghml.dev/version': version,
        'ghml.dev/stage': 'prod',
        'ghml.dev/deployed-at': '2025-01-01T00:00:00Z',
        'ghml.dev/history': JSON.stringify(history),
      },
    },
    spec:
      templateVersion === undefined
        ? {}
        : {
            template: {
              metadata: {
                annotations: { 'ghml.dev/model': 'iris', 'ghml.dev/version': templateVersion },
              },
            },
          },
  };
}

describe('deploy labels and history', () => {
  it('reads the version a workload runs from its pod template first', () => {
    expect(readDeployedVersion(live('v2.0.0', [], 'v1.0.0'))?.version).toBe('v1.0.0');
    expect(readDeployedVersion(live('v2.0.0'))).toMatchObject({
      version: 'v2.0.0',
      stage: 'prod',
      deployedAt: '2025-01-01T00:00:00Z',
    });
    expect(readDeployedVersion({ metadata: {} })).toBeUndefined();
    expect(readDeployedVersion(undefined)).toBeUndefined();
  });

  it('keeps the earlier versions, newest first, without the one being deployed', () => {
    const current = readDeployedVersion(live('v2.0.0', [{ version: 'v1.0.0' }]));
    expect(nextHistory(current, 'v3.0.0')).toEqual([
      { version: 'v2.0.0', at: '2025-01-01T00:00:00Z' },
      { version: 'v1.0.0' },
    ]);
    expect(nextHistory(current, 'v1.0.0')).toEqual([
      { version: 'v2.0.0', at: '2025-01-01T00:00:00Z' },
    ]);
    expect(nextHistory(undefined, 'v1.0.0')).toEqual([]);
    const many = Array.from({ length: 30 }, (_, i) => ({ version: `v0.0.${i}` }));
    expect(parseHistory(formatHistory(many))).toHaveLength(10);
  });

  it('ignores a damaged history annotation', () => {
    expect(parseHistory('not json')).toEqual([]);
    expect(parseHistory('{"version":"v1"}')).toEqual([]);
    expect(parseHistory('[{"version":1},{"version":"v1.0.0","at":5}]')).toEqual([
      { version: 'v1.0.0' },
    ]);
  });

  it('selects a model and stage by their label-safe forms', () => {
    expect(stageSelector('team/churn', 'prod')).toBe(
      'ghml.dev/model=team_churn,ghml.dev/stage=prod',
    );
  });
});
