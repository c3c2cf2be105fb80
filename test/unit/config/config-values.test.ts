import { describe, expect, it } from 'vitest';
import { parseByteSize, parseDuration, parseThreshold } from '../../../src/config/config-values.js';

describe('parseThreshold', () => {
  it.each([
    [0.01, { kind: 'absolute', value: 0.01 }],
    [0, { kind: 'absolute', value: 0 }],
    ['0.01', { kind: 'absolute', value: 0.01 }],
    ['0.5%', { kind: 'percent', value: 0.5 }],
    [' 2 % ', { kind: 'percent', value: 2 }],
    ['1e-3', { kind: 'absolute', value: 0.001 }],
    ['.5%', { kind: 'percent', value: 0.5 }],
  ] as const)('%j -> %j', (input, expected) => {
    expect(parseThreshold(input)).toEqual(expected);
  });

  it.each([-1, '-0.5%', '5pp', '%', '', 'abc', Number.NaN, Number.POSITIVE_INFINITY, true, null])(
    'refuses %j',
    (input) => {
      expect(parseThreshold(input)).toBeUndefined();
    },
  );
});

describe('parseByteSize', () => {
  it.each([
    [1048576, 1048576],
    [0, 0],
    ['1048576', 1048576],
    ['1MiB', 1048576],
    ['1 MiB', 1048576],
    ['10mib', 10485760],
    ['500KB', 500000],
    ['500kB', 500000],
    ['2GB', 2e9],
    ['1.5KiB', 1536],
    ['1.0001KB', 1000],
    ['12B', 12],
    ['1TiB', 2 ** 40],
  ] as const)('%j -> %d', (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });

  it.each([-1, 1.5, '1 MB per file', '10MiBs', 'MiB', '', '-1KB', '1e30TB', true, null])(
    'refuses %j',
    (input) => {
      expect(parseByteSize(input)).toBeUndefined();
    },
  );
});

describe('parseDuration', () => {
  it.each([
    [120000, 120000],
    ['120000', 120000],
    ['120s', 120000],
    ['2m', 120000],
    ['1m30s', 90000],
    ['1m 30s', 90000],
    ['1.5h', 5400000],
    ['250ms', 250],
    ['0.5s', 500],
    [0, 0],
  ] as const)('%j -> %d', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['2 minutes', 'soon', '', '5d', '-1s', 's', '1m30', -5, Number.NaN, null])(
    'refuses %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});
