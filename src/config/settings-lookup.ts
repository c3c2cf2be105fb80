/**
 * Looking settings up in a loaded GhmlConfig, with the defaults for anything ghml.yml does not
 * list. Lookups use own properties only, so names such as 'constructor' are safe.
 */
import { defaultDeployTarget, defaultMetricSettings } from './config-defaults.js';
import type {
  DeployTarget,
  ExperimentSettings,
  GhmlConfig,
  MetricSettings,
} from './config-types.js';

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The experiment's settings; an unlisted experiment has no objective and no metric settings. */
export function experimentSettings(config: GhmlConfig, experiment: string): ExperimentSettings {
  return own(config.experiments, experiment) ?? { objective: null, metrics: {} };
}

/** A metric's settings: as configured for the experiment, else the defaults for its name. */
export function metricSettings(
  config: GhmlConfig,
  experiment: string,
  key: string,
): MetricSettings {
  const configured = own(experimentSettings(config, experiment).metrics, key);
  return configured ?? defaultMetricSettings(key);
}

/** The deploy target of a stage: its own entry, else the '*' entry, else the defaults. */
export function deployTargetFor(config: GhmlConfig, stage: string): DeployTarget {
  return own(config.deploy, stage) ?? own(config.deploy, '*') ?? defaultDeployTarget();
}
