import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDelta,
  formatPercent,
  formatValue,
  plural,
} from '../../../src/text/format-number.js';

describe('formatValue', () => {
  it.each([
    [0.95, 4, '0.9500'],
    [12, 0, '12'],
    [-1.23456, 2, '-1.23'],
    [0, 4, '0.0000'],
    [-0, 4, '0.0000'],
    [null, 4, '-'],
    [Number.NaN, 4, 'NaN'],
    [Number.POSITIVE_INFINITY, 4, '+Inf'],
    [Number.NEGATIVE_INFINITY, 4, '-Inf'],
    [1e-7, 4, '1.00e-7'],
    [-0.00001, 4, '-1.00e-5'],
    [123456789012345, 4, '1.23e14'],
    [-5e20, 2, '-5.00e20'],
    [999999, 2, '999999.00'],
    [1.5, Number.NaN, '1.5000'],
    [1.5, 99, '1.500000000000'],
  ])('%s at precision %s → %s', (value, precision, expected) => {
    expect(formatValue(value, precision)).toBe(expected);
  });
});

describe('formatDelta', () => {
  it.each([
    [0.05, 4, '+0.0500'],
    [-1.2, 4, '-1.2000'],
    [0, 4, '0.0000'],
    [null, 4, '-'],
    [Number.NaN, 4, 'NaN'],
    [Number.POSITIVE_INFINITY, 4, '+Inf'],
    [Number.NEGATIVE_INFINITY, 2, '-Inf'],
    [0.00001, 4, '+1.00e-5'],
    [-3e15, 4, '-3.00e15'],
  ])('%s at precision %s → %s', (value, precision, expected) => {
    expect(formatDelta(value, precision)).toBe(expected);
  });
});

describe('formatPercent', () => {
  it.each([
    [5.5555, '+5.56%'],
    [-3.2, '-3.20%'],
    [12.345, '+12.3%'],
    [-250, '-250.0%'],
    [0, '0.00%'],
    [0.001, '+<0.01%'],
    [-0.001, '-<0.01%'],
    [2.5e9, '+2.50e9%'],
    [null, '-'],
    [Number.NaN, 'NaN%'],
    [Number.POSITIVE_INFINITY, '+Inf%'],
  ])('%s → %s', (value, expected) => {
    expect(formatPercent(value)).toBe(expected);
  });
});

describe('counts', () => {
  it('groups thousands and picks singular or plural', () => {
    expect(formatCount(9990)).toBe('9,990');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
    expect(plural(1, 'regression')).toBe('1 regression');
    expect(plural(10000, 'metric')).toBe('10,000 metrics');
  });
});
