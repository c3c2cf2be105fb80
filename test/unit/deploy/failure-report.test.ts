import { describe, expect, it } from 'vitest';
import {
  describeFailureReport,
  podProblems,
  podSelector,
  relevantEvents,
} from '../../../src/deploy/kube/failure-report.js';
import { inferenceServiceState } from '../../../src/deploy/kube/rollout-wait.js';

describe('failure reports', () => {
  it('explains pods in ImagePullBackOff, CrashLoopBackOff and Pending', () => {
    const pods = [
      {
        metadata: { name: 'p1' },
        status: {
          containerStatuses: [
            {
              name: 'server',
              state: {
                waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' },
              },
            },
          ],
        },
      },
      {
        metadata: { name: 'p2' },
        status: {
          initContainerStatuses: [
            {
              name: 'fetch-model',
              state: {
                terminated: {
                  reason: 'Error',
                  message: 'sha256sum: WARNING: 1 computed checksum did NOT match',
                },
              },
            },
          ],
        },
      },
      {
        metadata: { name: 'p3' },
        status: {
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes',
            },
          ],
        },
      },
      {
        metadata: { name: 'ok' },
        status: { containerStatuses: [{ name: 's', state: { running: {} } }] },
      },
    ];
    expect(podProblems(pods)).toEqual([
      {
        pod: 'p1',
        container: 'server',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "x"',
      },
      {
        pod: 'p2',
        container: 'fetch-model',
        reason: 'Error',
        message: 'sha256sum: WARNING: 1 computed checksum did NOT match',
      },
      { pod: 'p3', container: null, reason: 'Unschedulable', message: '0/3 nodes' },
    ]);
  });

  it('keeps the latest warnings about the workload and its pods', () => {
    const event = (name: string, type: string, reason: string, at: string) => ({
      involvedObject: { kind: 'Pod', name },
      type,
      reason,
      message: `${reason} happened`,
      lastTimestamp: at,
      count: 2,
    });
    const events = [
      event('iris-prod-abc-1', 'Warning', 'BackOff', '2025-01-01T00:00:02Z'),
      event('other-pod', 'Warning', 'Failed', '2025-01-01T00:00:03Z'),
      event('iris-prod-abc-1', 'Normal', 'Pulled', '2025-01-01T00:00:04Z'),
      event('iris-prod-abc-1', 'Warning', 'Failed', '2025-01-01T00:00:01Z'),
    ];
    const picked = relevantEvents(events, new Set(['iris-prod-abc-1']), 'iris-prod');
    expect(picked.map((e) => e.reason)).toEqual(['Failed', 'BackOff']);
    expect(describeFailureReport({ problems: [], events: picked })).toEqual([
      'Warning Failed Pod/iris-prod-abc-1: Failed happened (x2)',
      'Warning BackOff Pod/iris-prod-abc-1: BackOff happened (x2)',
    ]);
  });

  it('finds the pods of a Deployment and of an InferenceService', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' };
    expect(podSelector(ref, { spec: { selector: { matchLabels: { a: 'b', c: 'd' } } } })).toBe(
      'a=b,c=d',
    );
    expect(podSelector({ ...ref, kind: 'InferenceService' }, undefined)).toBe(
      'serving.kserve.io/inferenceservice=d',
    );
  });

  it('reads an InferenceService’s readiness for its current generation', () => {
    const isvc = (status: object, generation = 2) => ({ metadata: { generation }, status });
    expect(
      inferenceServiceState(
        isvc({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }),
      ),
    ).toBeUndefined();
    expect(
      inferenceServiceState(
        isvc({ observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] }),
      )?.state,
    ).toBe('ready');
    expect(
      inferenceServiceState(
        isvc({
          observedGeneration: 2,
          modelStatus: {
            transitionStatus: 'BlockedByFailedLoad',
            lastFailureInfo: { reason: 'ModelLoadFailed', message: 'boom' },
          },
        }),
      ),
    ).toEqual({ state: 'failed', message: 'model BlockedByFailedLoad (ModelLoadFailed: boom)' });
    expect(
      inferenceServiceState(
        isvc({ observedGeneration: 2, conditions: [{ type: 'Ready', status: 'Unknown' }] }),
      ),
    ).toBeUndefined();
  });
});
