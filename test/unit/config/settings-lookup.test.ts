import { describe, expect, it } from 'vitest';
import { defaultConfig, defaultDirection } from '../../../src/config/config-defaults.js';
import { parseConfig } from '../../../src/config/load-config.js';
import {
  deployTargetFor,
  experimentSettings,
  metricSettings,
} from '../../../src/config/settings-lookup.js';

const config = parseConfig(
  [
    'experiments:',
    '  iris:',
    '    metrics:',
    '      accuracy: { threshold: 1%, precision: 2 }',
    '      val_loss: max',
    'deploy:',
    '  prod: { templates: kserve }',
    '  "*": { namespace: models }',
  ].join('\n'),
  'ghml.yml',
);

describe('defaultDirection', () => {
  it.each([
    'loss',
    'val_loss',
    'train/Loss',
    'error',
    'test.err',
    'mse',
    'val mae',
    'RMSE',
    'mape',
    'epoch_time',
    'p99_latency',
    'duration',
    'perplexity',
  ])('%s improves downwards', (key) => {
    expect(defaultDirection(key)).toBe('min');
  });

  it.each(['accuracy', 'f1', 'auc', 'loss.weight', 'error_count', 'time/steps', 'r2'])(
    '%s improves upwards',
    (key) => {
      expect(defaultDirection(key)).toBe('max');
    },
  );
});

describe('metricSettings', () => {
  it('returns configured settings', () => {
    expect(metricSettings(config, 'iris', 'accuracy')).toEqual({
      direction: 'max',
      threshold: { kind: 'percent', value: 1 },
      precision: 2,
    });
    // Configured direction wins over the name rule.
    expect(metricSettings(config, 'iris', 'val_loss').direction).toBe('max');
  });

  it('derives settings for a metric ghml.yml does not list', () => {
    expect(metricSettings(config, 'iris', 'test_loss')).toEqual({
      direction: 'min',
      threshold: { kind: 'absolute', value: 0 },
      precision: 4,
    });
    expect(metricSettings(config, 'unknown', 'accuracy').direction).toBe('max');
    expect(metricSettings(defaultConfig(), 'x', 'constructor').direction).toBe('max');
  });
});

describe('experimentSettings', () => {
  it('returns the configured experiment, or an empty one', () => {
    expect(experimentSettings(config, 'iris').objective).toBe('accuracy');
    expect(experimentSettings(config, 'mnist')).toEqual({ objective: null, metrics: {} });
    expect(experimentSettings(config, 'toString')).toEqual({ objective: null, metrics: {} });
  });
});

describe('deployTargetFor', () => {
  it("uses the stage's entry, then '*', then the defaults", () => {
    expect(deployTargetFor(config, 'prod')).toEqual({
      templates: 'kserve',
      namespace: null,
      context: null,
      image: null,
    });
    expect(deployTargetFor(config, 'dev').namespace).toBe('models');
    expect(deployTargetFor(defaultConfig(), 'dev')).toEqual({
      templates: 'deployment',
      namespace: null,
      context: null,
      image: null,
    });
  });
});
