import { describe, expect, it } from 'vitest';
import {
  keyProblem,
  parseNumberText,
  validateExperimentName,
  validateKey,
  validateMetricValue,
  validateParamValue,
  validateStep,
  validateTagValue,
  validateTimestamp,
} from '../../../src/tracking/run-limits.js';
import { InvalidNameError, InvalidValueError } from '../../../src/tracking/ingest/ingest-errors.js';
import { UsageError } from '../../../src/errors/ghml-error.js';

describe('key names', () => {
  it.each([
    'acc',
    'train/loss',
    'val acc',
    'a.b-c_d',
    'A9',
    'x'.repeat(250),
    'a/b/c',
    '...',
    'a..b',
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeUndefined();
    expect(validateKey(key)).toBe(key);
  });

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(251), 'at most 250 characters'],
    ['a:b', "may only contain letters, digits, '_', '-', '.', ' ' and '/'"],
    ['naïve', 'may only contain'],
    ['a\nb', 'may only contain'],
    ['/abs', "must not start with '/'"],
    ['dir/', "must not end with '/'"],
    ['a//b', "must not contain '//'"],
    ['a/../b', "must not contain '..' segments"],
    ['..', "must not contain '..' segments"],
    ['../x', "must not contain '..' segments"],
    ['.', "must not contain '.' segments"],
    ['a/./b', "must not contain '.' segments"],
  ])('rejects %j: %s', (key, rule) => {
    expect(keyProblem(key)).toContain(rule);
    const error = captureError(() => validateKey(key, 'metric key'));
    expect(error).toBeInstanceOf(InvalidNameError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('Invalid metric key');
    expect(error.message).toContain(rule);
    if (key.length < 80) expect(error.message).toContain(`'${key}'`);
    expect((error as InvalidNameError).hint).toMatch(/letters, digits/);
  });
});

describe('experiment names', () => {
  it.each(['iris', 'Iris-2.v1_x', '0', 'a'.repeat(100)])('accepts %j', (name) => {
    expect(validateExperimentName(name)).toBe(name);
  });
  it.each(['', '-iris', '.hidden', 'a/b', 'a b', 'a'.repeat(101), 'é'])('rejects %j', (name) => {
    const error = captureError(() => validateExperimentName(name));
    expect(error).toBeInstanceOf(InvalidNameError);
    expect(error.message).toContain('[A-Za-z0-9][A-Za-z0-9._-]{0,99}');
  });
  it('rejects a name ending in .lock, which the tracking branch writer refuses', () => {
    const error = captureError(() => validateExperimentName('iris.lock'));
    expect(error).toBeInstanceOf(InvalidNameError);
    expect(error.message).toContain("must not end in '.lock'");
  });
});

describe('value lengths', () => {
  it('allows params up to 6000 characters and rejects more, naming the key', () => {
    expect(validateParamValue('lr', 'x'.repeat(6000))).toHaveLength(6000);
    const error = captureError(() => validateParamValue('lr', 'x'.repeat(6001)));
    expect(error).toBeInstanceOf(InvalidValueError);
    expect(error.message).toBe(
      "param 'lr' value is 6001 characters; param values are at most 6000.",
    );
  });
  it('allows tags up to 5000 characters and rejects more', () => {
    expect(validateTagValue('t', 'y'.repeat(5000))).toHaveLength(5000);
    expect(() => validateTagValue('t', 'y'.repeat(5001))).toThrow(
      "tag 't' value is 5001 characters; tag values are at most 5000.",
    );
  });
});

describe('metric values, steps, timestamps', () => {
  it('keeps numbers, NaN and infinities (also as format-1 strings)', () => {
    expect(validateMetricValue('a', 0.5)).toBe(0.5);
    expect(validateMetricValue('a', Number.NaN)).toBeNaN();
    expect(validateMetricValue('a', 'NaN')).toBeNaN();
    expect(validateMetricValue('a', 'Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(validateMetricValue('a', '-Infinity')).toBe(Number.NEGATIVE_INFINITY);
  });
  it.each([
    ['0.93', "'0.93' (a string)"],
    [null, 'null'],
    [true, 'true (boolean)'],
    [[1], 'a list'],
  ])('rejects the non-numeric value %j naming the key', (value, shown) => {
    const error = captureError(() => validateMetricValue('acc', value));
    expect(error).toBeInstanceOf(InvalidValueError);
    expect(error.message).toBe(`metric 'acc' value must be a number, got ${shown}.`);
    expect((error as InvalidValueError).key).toBe('acc');
  });
  it('requires integer steps and non-negative integer timestamps', () => {
    expect(validateStep('a', -3)).toBe(-3);
    expect(() => validateStep('a', 1.5)).toThrow("metric 'a' step must be an integer, got 1.5");
    expect(() => validateStep('a', '1')).toThrow('must be an integer');
    expect(validateTimestamp('a', 1732600000000)).toBe(1732600000000);
    expect(() => validateTimestamp('a', -1)).toThrow('whole milliseconds');
    expect(() => validateTimestamp('a', 1.5)).toThrow('whole milliseconds');
  });
});

describe('parseNumberText', () => {
  it.each([
    ['0.93', 0.93],
    ['-1e-3', -0.001],
    ['+5', 5],
    ['.5', 0.5],
    ['3.', 3],
    ['inf', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('parses %j', (text, value) => expect(parseNumberText(text)).toBe(value));
  it('parses nan', () => expect(parseNumberText('NaN')).toBeNaN());
  it.each(['', 'abc', '1,5', '0x10', '1e', '12%'])('rejects %j', (text) =>
    expect(parseNumberText(text)).toBeUndefined(),
  );
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
