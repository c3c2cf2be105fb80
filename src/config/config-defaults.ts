/**
 * The value of every ghml.yml field when the file (or the field) is absent, and the settings a
 * metric gets when ghml.yml does not list it.
 */
import type {
  DeployTarget,
  GhmlConfig,
  MetricDirection,
  MetricSettings,
  TrackingSettings,
} from './config-types.js';

export const DEFAULT_EXPERIMENT = 'default';
export const DEFAULT_TRACKING: Readonly<TrackingSettings> = {
  branch: 'ghml/runs',
  remote: 'origin',
  stdoutMetrics: false,
  pushTimeoutMs: 120_000,
  prBudgetBytes: 64 * 1024 * 1024,
};
export const DEFAULT_PARAMS_FILES: readonly string[] = ['params.yaml'];
export const DEFAULT_METRICS_FILES: readonly string[] = ['metrics.json', 'metrics.yaml'];
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 10 * 1024 * 1024;
export const DEFAULT_PRECISION = 4;
export const DEFAULT_DEPLOY_TEMPLATES = 'deployment';

// Metric names whose last segment ends with one of these improve downwards.
const LOWER_IS_BETTER = [
  'loss',
  'error',
  'err',
  'mse',
  'mae',
  'rmse',
  'mape',
  'time',
  'latency',
  'duration',
  'perplexity',
];

/** A fresh GhmlConfig with every default (file: null). */
export function defaultConfig(): GhmlConfig {
  return {
    file: null,
    defaultExperiment: DEFAULT_EXPERIMENT,
    tracking: { ...DEFAULT_TRACKING },
    sources: { paramsFiles: [...DEFAULT_PARAMS_FILES], metricsFiles: [...DEFAULT_METRICS_FILES] },
    artifacts: { maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxTotalBytes: DEFAULT_MAX_TOTAL_BYTES },
    experiments: {},
    registry: { models: {}, stages: null, requires: {} },
    deploy: {},
  };
}

/**
 * Direction a metric gets by its name: 'min' when the last segment (after the last '.', '/' or
 * space), case-insensitive, ends with loss, error, err, mse, mae, rmse, mape, time, latency,
 * duration or perplexity; otherwise 'max'. E.g. 'val_loss', 'train/RMSE', 'inference_time'.
 */
export function defaultDirection(key: string): MetricDirection {
  const last = key.split(/[./ ]/).pop()?.toLowerCase() ?? '';
  return LOWER_IS_BETTER.some((suffix) => last.endsWith(suffix)) ? 'min' : 'max';
}

/** Settings of a metric that ghml.yml does not configure. */
export function defaultMetricSettings(key: string): MetricSettings {
  return {
    direction: defaultDirection(key),
    threshold: { kind: 'absolute', value: 0 },
    precision: DEFAULT_PRECISION,
  };
}

/** A deploy target with every default. */
export function defaultDeployTarget(): DeployTarget {
  return { templates: DEFAULT_DEPLOY_TEMPLATES, namespace: null, context: null, image: null };
}
