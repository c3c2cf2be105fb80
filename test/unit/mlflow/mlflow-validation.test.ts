import { describe, expect, it } from 'vitest';
import { MlflowApiError } from '../../../src/mlflow/http/mlflow-error.js';
import {
  checkBatchLimits,
  checkMetric,
  checkParam,
  checkParamKeysUnique,
  checkRunIdShape,
  checkTag,
} from '../../../src/mlflow/validation/mlflow-validation.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowApiError);
    expect((error as MlflowApiError).code).toBe('INVALID_PARAMETER_VALUE');
    return (error as MlflowApiError).message;
  }
  throw new Error('expected a refusal');
}

describe('MLflow checks', () => {
  it('uses MLflow’s messages for names', () => {
    expect(message(() => checkParam('a$b', '1'))).toBe(
      `Invalid value "a$b" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
    expect(message(() => checkParam('a/../b', '1'))).toMatch(/This name would resolve to 'b'$/);
    expect(message(() => checkParam('k'.repeat(251), '1'))).toBe(
      `'Param key' exceeds the maximum length of 250 characters`,
    );
    expect(message(() => checkParam('k', 'v'.repeat(6001)))).toBe(
      `'Param value' exceeds the maximum length of 6000 characters`,
    );
    expect(message(() => checkTag('k', 'v'.repeat(5001), 'tags[2]'))).toBe(
      `'tags[2].value' exceeds the maximum length of 5000 characters`,
    );
    // MLflow allows ':'; the tracking branch does not (keys are file names).
    expect(message(() => checkParam('a:b', '1'))).toMatch(/ghml stores keys as file names/);
    expect(() => checkParam('train/lr', 'v'.repeat(6000))).not.toThrow();
  });

  it('checks metric values, timestamps and steps', () => {
    expect(checkMetric({ key: 'acc', value: 0.5, timestamp: 1, step: 2 })).toEqual({
      key: 'acc',
      value: 0.5,
      timestamp: 1,
      step: 2,
    });
    expect(checkMetric({ key: 'acc', value: 'NaN', timestamp: '7' }).value).toBeNaN();
    expect(checkMetric({ key: 'acc', value: '-Infinity', timestamp: 7 }).value).toBe(
      Number.NEGATIVE_INFINITY,
    );
    expect(checkMetric({ key: 'acc', value: 1, timestamp: 1 }).step).toBe(0);
    expect(
      message(() => checkMetric({ key: 'acc', value: true, timestamp: 1 }, 'metrics[0]')),
    ).toMatch(
      /^Invalid value true for parameter 'metrics\[0\]\.value' supplied: \(timestamp=1\)\. Please specify value as a valid double/,
    );
    expect(message(() => checkMetric({ key: 'acc', value: 1 }))).toMatch(
      /Timestamp must be a nonnegative long/,
    );
    expect(message(() => checkMetric({ key: 'acc', value: 1, timestamp: 1, step: 'x' }))).toMatch(
      /Step must be a valid long/,
    );
    expect(message(() => checkMetric({ value: 1, timestamp: 1 }))).toBe(
      `Missing value for required parameter 'key'.`,
    );
  });

  it('checks batch limits and duplicate params as MLflow does', () => {
    expect(() => checkBatchLimits(1000, 100, 100)).toThrow(
      /at most 1000 metrics, params, and tags. Got 1200/,
    );
    expect(() => checkBatchLimits(1000, 0, 0)).not.toThrow();
    expect(message(() => checkParamKeysUnique([{ key: 'a' }, { key: 'a' }]))).toMatch(
      /Duplicate parameter keys have been submitted: \['a'\]/,
    );
    expect(() => checkRunIdShape('01ARZ3NDEKTSV4RRFFQ69G5FAV')).not.toThrow();
    expect(() => checkRunIdShape('../x')).toThrow(MlflowApiError);
  });
});
