/**
 * The schema of ghml.yml: which keys exist, what each accepts and its default. Reads a parsed
 * YAML document into a GhmlConfig, reporting every problem with its position through the
 * NodeReader. docs/config.md documents the same fields; keep them in step.
 */
import {
  artifactStoreUrlProblem,
  parseArtifactStoreUrl,
  type ArtifactStoreUrl,
} from './artifact-store-url.js';
import {
  DEFAULT_DEPLOY_TEMPLATES,
  DEFAULT_PRECISION,
  defaultConfig,
  defaultMetricSettings,
} from './config-defaults.js';
import type {
  ArtifactLimits,
  DeployTarget,
  ExperimentSettings,
  GhmlConfig,
  MetricSettings,
  ModelSettings,
  RegistrySettings,
  RunSourceFiles,
  TrackingSettings,
} from './config-types.js';
import { parseByteSize, parseDuration, parseThreshold } from './config-values.js';
import { didYouMean } from './did-you-mean.js';
import {
  CONTEXT_FIX,
  EXPERIMENT_NAME,
  K8S_NAMESPACE,
  NAMESPACE_FIX,
  kubectlArgumentProblem,
  METRIC_KEY,
  MODEL_NAME,
  STAGE_NAME,
  branchNameProblem,
  refNameProblem,
  relativePathProblem,
} from './name-rules.js';
import { quote, type Field, type NodeReader } from './yaml-node-reader.js';

/** Top-level keys of ghml.yml. */
export const TOP_LEVEL_KEYS = [
  'default_experiment',
  'tracking',
  'sources',
  'artifacts',
  'experiments',
  'registry',
  'deploy',
  'stages',
  'pipeline',
  'report',
] as const;
const TRACKING_KEYS = ['branch', 'remote', 'stdout_metrics', 'push_timeout', 'pr_budget'];
const SOURCES_KEYS = ['params', 'metrics'];
const ARTIFACTS_KEYS = ['max_file_size', 'max_total_size', 'store'];
const EXPERIMENT_KEYS = ['objective', 'metrics'];
const METRIC_KEYS = ['direction', 'threshold', 'precision'];
const REGISTRY_KEYS = ['stages', 'requires', 'models', 'asset_urls'];
const MODEL_KEYS = ['path', 'experiment', 'type', 'description'];
const DEPLOY_KEYS = ['templates', 'namespace', 'context', 'image'];
const PIPELINE_KEYS = ['name', 'image', 'vars'];
const REPORT_KEYS = ['site_url'];
const BUILT_IN_TEMPLATES = ['deployment', 'kserve', 'kserve-mlflow'];
const MAX_PRECISION = 20;
const MAX_TEXT = 1000;

const A_MAPPING = 'a mapping (key: value lines)';
const NAME_FIXES = {
  experiment:
    "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit and not ending in '.lock'",
  metric: "use 1-250 letters, digits, spaces, '_', '.', '-' or '/'",
  model: "use letters, digits, '-', '_' or '/', starting and ending with a letter or digit",
  stage: "use letters, digits, '-' or '_', starting and ending with a letter or digit",
} as const;

/** Reads the document the NodeReader wraps; problems are left in `reader.problems`. */
export function readConfig(r: NodeReader, file: string | null): GhmlConfig {
  const config = defaultConfig();
  config.file = file;
  const root = r.root();
  const top = r.entries(root, TOP_LEVEL_KEYS, 'a mapping of settings (key: value lines)');
  if (top === undefined) return config;
  const field = (key: string): Field => r.pick(root, top, key);

  config.defaultExperiment =
    name(r, field('default_experiment'), EXPERIMENT_NAME, 'experiment') ?? config.defaultExperiment;
  config.tracking = readTracking(r, field('tracking'), config.tracking);
  config.sources = readSources(r, field('sources'), config.sources);
  config.artifacts = readArtifacts(r, field('artifacts'), config.artifacts);
  config.experiments = readExperiments(r, field('experiments'));
  config.registry = readRegistry(r, field('registry'), config.registry);
  config.deploy = readDeploy(r, field('deploy'), config.registry.stages);
  // `pipeline:` is only checked here; it and `stages:` (the pipeline definition, with its own
  // rules and file:line errors) are read by src/pipeline.
  checkPipeline(r, field('pipeline'));
  const report = readReport(r, field('report'));
  if (report !== undefined) config.report = report;
  return config;
}

/** `report:`: where the report site is published (PR comments link to it). */
function readReport(r: NodeReader, f: Field): { siteUrl: string } | undefined {
  if (f.node === null) return undefined;
  const entries = r.entries(f, REPORT_KEYS, 'a mapping with site_url');
  const urlField = r.pick(f, entries, 'site_url');
  const url = r.text(
    urlField,
    'a URL',
    'write the site address, e.g. https://acme.github.io/iris/',
  );
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s"'<>`]+$/.test(url)) {
    r.report(
      urlField,
      `must be an http(s) URL, got ${r.describe(urlField)}`,
      'write the site address, e.g. https://acme.github.io/iris/',
    );
    return undefined;
  }
  return { siteUrl: url };
}

/** A name checked against a grammar; reported on the value, or on the key with `onKey`. */
function name(
  r: NodeReader,
  f: Field,
  pattern: RegExp,
  kind: keyof typeof NAME_FIXES,
  onKey = false,
): string | undefined {
  const text = onKey ? f.key : r.text(f, `a ${kind} name`, NAME_FIXES[kind]);
  if (text === undefined) return undefined;
  if (pattern.test(text)) return text;
  const what = onKey
    ? `has an invalid ${kind} name ${quote(text)} as its key`
    : `must be a valid ${kind} name, got ${quote(text)}`;
  r.report(f, what, NAME_FIXES[kind], onKey);
  return undefined;
}

function readTracking(r: NodeReader, f: Field, defaults: TrackingSettings): TrackingSettings {
  const entries = r.entries(f, TRACKING_KEYS, A_MAPPING);
  const out = { ...defaults };

  const branchField = r.pick(f, entries, 'branch');
  const branch = r.text(branchField, 'a branch name', 'write a branch name such as ghml/runs');
  if (branch !== undefined) {
    const problem = branchNameProblem(branch);
    if (problem === undefined) out.branch = branch;
    else {
      r.report(
        branchField,
        `must be a valid git branch name, got ${quote(branch)}: ${problem}`,
        "use letters, digits, '/', '-', '_' and '.', e.g. ghml/runs (see git check-ref-format)",
      );
    }
  }

  const remoteField = r.pick(f, entries, 'remote');
  const remote = r.text(remoteField, 'a remote name', 'write a remote name such as origin');
  if (remote !== undefined) {
    const problem = refNameProblem(remote);
    if (problem === undefined) out.remote = remote;
    else {
      r.report(
        remoteField,
        `must be a git remote name, got ${quote(remote)}: ${problem}`,
        'write the name of a remote (see git remote -v), e.g. origin; URLs are not accepted',
      );
    }
  }

  out.stdoutMetrics = r.boolean(r.pick(f, entries, 'stdout_metrics')) ?? out.stdoutMetrics;

  const timeoutField = r.pick(f, entries, 'push_timeout');
  if (timeoutField.node !== null) {
    const ms = parseDuration(r.scalar(timeoutField));
    if (ms !== undefined && ms > 0) out.pushTimeoutMs = ms;
    else {
      r.report(
        timeoutField,
        `must be a positive duration, got ${r.describe(timeoutField)}`,
        'write a duration such as 120s, 2m or 1m30s, or a number of milliseconds',
      );
    }
  }
  out.prBudgetBytes = size(r, r.pick(f, entries, 'pr_budget')) ?? out.prBudgetBytes;
  return out;
}

function paths(r: NodeReader, f: Field, what: string): string[] | undefined {
  const items = r.list(f, `a list of ${what}`);
  if (items === undefined) return undefined;
  const out: string[] = [];
  for (const item of items) {
    const fix = `write a path relative to the repository root, e.g. ${what === 'model files' ? 'model.pkl' : 'params.yaml'}`;
    const text = r.text(item, 'a relative path', fix);
    if (text === undefined) {
      if (item.node === null) r.report(item, 'must be a relative path, got nothing', fix);
      continue;
    }
    const problem = relativePathProblem(text);
    if (problem === undefined) out.push(text);
    else
      r.report(item, `must be a path inside the repository, got ${quote(text)}: ${problem}`, fix);
  }
  return out;
}

function readSources(r: NodeReader, f: Field, defaults: RunSourceFiles): RunSourceFiles {
  const entries = r.entries(f, SOURCES_KEYS, A_MAPPING);
  return {
    paramsFiles: paths(r, r.pick(f, entries, 'params'), 'params files') ?? defaults.paramsFiles,
    metricsFiles: paths(r, r.pick(f, entries, 'metrics'), 'metrics files') ?? defaults.metricsFiles,
  };
}

function size(r: NodeReader, f: Field): number | undefined {
  if (f.node === null) return undefined;
  const bytes = parseByteSize(r.scalar(f));
  if (bytes !== undefined) return bytes;
  r.report(
    f,
    `must be a size, got ${r.describe(f)}`,
    'write a byte count such as 1048576, or a number with a unit: 500KB, 1MiB, 2GB (KB = 1000 bytes, KiB = 1024)',
  );
  return undefined;
}

function readArtifacts(r: NodeReader, f: Field, defaults: ArtifactLimits): ArtifactLimits {
  const entries = r.entries(f, ARTIFACTS_KEYS, A_MAPPING);
  const out: ArtifactLimits = {
    maxFileBytes: size(r, r.pick(f, entries, 'max_file_size')) ?? defaults.maxFileBytes,
    maxTotalBytes: size(r, r.pick(f, entries, 'max_total_size')) ?? defaults.maxTotalBytes,
  };
  const store = readStore(r, r.pick(f, entries, 'store'));
  if (store !== undefined) out.store = store;
  return out;
}

function readStore(r: NodeReader, f: Field): ArtifactStoreUrl | undefined {
  const fix =
    'write none, or oci://<registry>[:port]/<repository-prefix> such as oci://ghcr.io/acme/models';
  const text = r.text(f, 'a store URL', fix);
  if (text === undefined) return undefined;
  const problem = artifactStoreUrlProblem(text);
  if (problem === undefined) return parseArtifactStoreUrl(text);
  // Registries refuse uppercase repository names; suggest the lowercase spelling when it works.
  const lower = text.toLowerCase();
  const better = lower !== text && artifactStoreUrlProblem(lower) === undefined;
  r.report(
    f,
    `must be none or an oci:// URL, got ${quote(text)}: ${problem}`,
    better ? `write it in lowercase: ${lower}` : fix,
  );
  return undefined;
}

function readMetric(r: NodeReader, f: Field): MetricSettings {
  const out = defaultMetricSettings(f.key);
  // Shorthand: `accuracy: max`.
  if (f.node !== null && typeof r.scalar(f) === 'string') {
    const direction = r.scalar(f);
    if (direction === 'max' || direction === 'min') out.direction = direction;
    else {
      r.report(
        f,
        `must be 'max', 'min' or a mapping of direction, threshold and precision, got ${r.describe(f)}`,
        `write ${f.key}: max, or ${f.key}: { direction: min, threshold: 0.5% }`,
      );
    }
    return out;
  }
  const entries = r.entries(f, METRIC_KEYS, `'max', 'min' or ${A_MAPPING}`);

  const directionField = r.pick(f, entries, 'direction');
  if (directionField.node !== null) {
    const direction = r.scalar(directionField);
    if (direction === 'max' || direction === 'min') out.direction = direction;
    else {
      r.report(
        directionField,
        `must be 'max' or 'min', got ${r.describe(directionField)}`,
        'write direction: max when higher is better, or direction: min when lower is better',
      );
    }
  }

  const thresholdField = r.pick(f, entries, 'threshold');
  if (thresholdField.node !== null) {
    const threshold = parseThreshold(r.scalar(thresholdField));
    if (threshold !== undefined) out.threshold = threshold;
    else {
      r.report(
        thresholdField,
        `must be a non-negative number or percentage, got ${r.describe(thresholdField)}`,
        'write an absolute amount such as 0.01, or a percentage of the base value such as 0.5%',
      );
    }
  }

  out.precision = r.integer(r.pick(f, entries, 'precision'), 0, MAX_PRECISION) ?? DEFAULT_PRECISION;
  return out;
}

function readExperiment(r: NodeReader, f: Field): ExperimentSettings {
  const entries = r.entries(f, EXPERIMENT_KEYS, A_MAPPING);
  const metrics: Record<string, MetricSettings> = {};
  const metricsField = r.pick(f, entries, 'metrics');
  for (const metric of r.entries(metricsField, null, `${A_MAPPING} of metric names`) ?? []) {
    if (name(r, metric, METRIC_KEY, 'metric', true) === undefined) continue;
    // defineProperty: a metric may be called '__proto__'.
    Object.defineProperty(metrics, metric.key, {
      value: readMetric(r, metric),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const objective = name(r, r.pick(f, entries, 'objective'), METRIC_KEY, 'metric');
  return { objective: objective ?? Object.keys(metrics)[0] ?? null, metrics };
}

function readExperiments(r: NodeReader, f: Field): Record<string, ExperimentSettings> {
  const out: Record<string, ExperimentSettings> = {};
  for (const experiment of r.entries(f, null, `${A_MAPPING} of experiment names`) ?? []) {
    if (name(r, experiment, EXPERIMENT_NAME, 'experiment', true) === undefined) continue;
    out[experiment.key] = readExperiment(r, experiment);
  }
  return out;
}

function optionalText(r: NodeReader, f: Field, what: string): string | null {
  const text = r.text(f, what, `write ${what}, or remove the key`);
  if (text === undefined) return null;
  if (text.length > MAX_TEXT) {
    r.report(f, `must be at most ${MAX_TEXT} characters, got ${text.length}`, 'shorten it');
    return null;
  }
  return text;
}

function readModel(r: NodeReader, f: Field): ModelSettings | undefined {
  const entries = r.entries(f, MODEL_KEYS, A_MAPPING);
  const pathField = r.pick(f, entries, 'path');
  const problemsBefore = r.problems.length;
  const path = paths(r, pathField, 'model files');
  const emptyList = path?.length === 0 && r.problems.length === problemsBefore;
  if (entries !== undefined && (pathField.node === null || emptyList)) {
    r.report(
      pathField,
      pathField.node === null
        ? 'is required: the file(s) to register'
        : 'must list at least one file',
      `add path: model.pkl (relative to the repository or the run's artifacts) under ${f.key}`,
    );
  }
  const experimentField = r.pick(f, entries, 'experiment');
  let experiment = name(r, experimentField, EXPERIMENT_NAME, 'experiment');
  if (experimentField.node === null) {
    if (EXPERIMENT_NAME.test(f.key)) experiment = f.key;
    else {
      r.report(
        experimentField,
        `is required because the model name ${quote(f.key)} is not a valid experiment name`,
        'add experiment: <name of the experiment whose runs produce this model>',
      );
    }
  }
  if (path === undefined || experiment === undefined) return undefined;
  return {
    path,
    experiment,
    type: optionalText(r, r.pick(f, entries, 'type'), 'a model type such as sklearn'),
    description: optionalText(r, r.pick(f, entries, 'description'), 'a one-line description'),
  };
}

function readStages(r: NodeReader, f: Field): string[] | null {
  const items = r.list(f, 'a list of stage names');
  if (items === undefined) return null;
  const stages: string[] = [];
  for (const item of items) {
    const stage = name(r, item, STAGE_NAME, 'stage');
    if (stage === undefined) {
      if (item.node === null) r.report(item, 'must be a stage name, got nothing', NAME_FIXES.stage);
      continue;
    }
    if (stages.includes(stage)) {
      r.report(item, `repeats the stage ${quote(stage)}`, 'list each stage once');
      continue;
    }
    stages.push(stage);
  }
  return stages;
}

/** Reports a stage that is not in `registry.stages` (when that list is given). */
function checkListedStage(
  r: NodeReader,
  f: Field,
  stage: string,
  stages: string[] | null,
  onKey: boolean,
): boolean {
  if (stages === null || stages.includes(stage)) return true;
  const suggestion = didYouMean(stage, stages);
  r.report(
    f,
    `names the stage ${quote(stage)}, which registry.stages does not list`,
    `${suggestion === undefined ? '' : `did you mean '${suggestion}'? `}use one of ${stages.join(', ')}, or add it to registry.stages`,
    onKey,
  );
  return false;
}

function readRequires(r: NodeReader, f: Field, stages: string[] | null): Record<string, string> {
  const requires: Record<string, string> = {};
  const rules = r.entries(f, null, `${A_MAPPING} of stage: required earlier stage`) ?? [];
  for (const rule of rules) {
    if (name(r, rule, STAGE_NAME, 'stage', true) === undefined) continue;
    if (!checkListedStage(r, rule, rule.key, stages, true)) continue;
    const before = name(r, rule, STAGE_NAME, 'stage');
    if (before === undefined) {
      if (rule.node === null) {
        r.report(
          rule,
          'must name the stage required first, got nothing',
          `write ${rule.key}: staging`,
        );
      }
      continue;
    }
    if (!checkListedStage(r, rule, before, stages, false)) continue;
    if (before === rule.key) {
      r.report(rule, 'requires itself', `name a different stage, or remove ${rule.key}`);
      continue;
    }
    requires[rule.key] = before;
  }
  // A cycle (a: b, b: a) would make both stages unreachable.
  for (const start of Object.keys(requires)) {
    const seen = [start];
    for (let next = requires[start]; next !== undefined; next = requires[next]) {
      if (next === start) {
        const rule = r.pick(f, rules, start);
        r.report(
          rule,
          `forms a cycle: ${[...seen, start].join(' -> ')}`,
          'remove one of the requirements so some stage can be reached first',
        );
        for (const stage of seen) delete requires[stage];
        break;
      }
      if (seen.includes(next)) break;
      seen.push(next);
    }
  }
  return requires;
}

function readRegistry(r: NodeReader, f: Field, defaults: RegistrySettings): RegistrySettings {
  const entries = r.entries(f, REGISTRY_KEYS, A_MAPPING);
  const stages = readStages(r, r.pick(f, entries, 'stages'));
  const requires = readRequires(r, r.pick(f, entries, 'requires'), stages);
  const models: Record<string, ModelSettings> = {};
  const modelsField = r.pick(f, entries, 'models');
  for (const model of r.entries(modelsField, null, `${A_MAPPING} of model names`) ?? []) {
    if (name(r, model, MODEL_NAME, 'model', true) === undefined) continue;
    if (model.node === null) {
      r.report(model, 'needs settings', `write ${model.key}: { path: model.pkl }`);
      continue;
    }
    const settings = readModel(r, model);
    if (settings !== undefined) models[model.key] = settings;
  }
  const settings: RegistrySettings = { models, stages: stages ?? defaults.stages, requires };
  const assetUrlsField = r.pick(f, entries, 'asset_urls');
  if (assetUrlsField.node !== null) {
    const value = r.scalar(assetUrlsField);
    if (value === 'download' || value === 'api') settings.assetUrls = value;
    else {
      r.report(
        assetUrlsField,
        `must be 'download' or 'api', got ${r.describe(assetUrlsField)}`,
        'write asset_urls: api for a private repository (the cluster then needs a token), else leave it out',
      );
    }
  }
  return settings;
}

function readTarget(r: NodeReader, f: Field): DeployTarget {
  const entries = r.entries(f, DEPLOY_KEYS, A_MAPPING);
  const target: DeployTarget = {
    templates: DEFAULT_DEPLOY_TEMPLATES,
    namespace: null,
    context: null,
    image: null,
  };

  const templatesField = r.pick(f, entries, 'templates');
  const templatesFix =
    "write 'deployment', 'kserve', 'kserve-mlflow', or a path to your template directory such as ./k8s";
  const templates = r.text(templatesField, 'a template set', templatesFix);
  if (templates !== undefined) {
    const problem = relativePathProblem(templates);
    if (BUILT_IN_TEMPLATES.includes(templates)) target.templates = templates;
    else if (!templates.includes('/')) {
      const suggestion = didYouMean(templates, BUILT_IN_TEMPLATES);
      r.report(
        templatesField,
        `must be 'deployment', 'kserve', 'kserve-mlflow' or a directory path, got ${quote(templates)}`,
        suggestion === undefined ? templatesFix : `did you mean '${suggestion}'? ${templatesFix}`,
      );
    } else if (problem !== undefined) {
      r.report(
        templatesField,
        `must be a directory inside the repository, got ${quote(templates)}: ${problem}`,
        templatesFix,
      );
    } else target.templates = templates;
  }

  const namespaceField = r.pick(f, entries, 'namespace');
  const namespace = r.text(
    namespaceField,
    'a namespace',
    'write a Kubernetes namespace such as models',
  );
  if (namespace !== undefined) {
    if (K8S_NAMESPACE.test(namespace)) target.namespace = namespace;
    else {
      r.report(
        namespaceField,
        `must be a Kubernetes namespace, got ${quote(namespace)}`,
        NAMESPACE_FIX,
      );
    }
  }

  for (const key of ['context', 'image'] as const) {
    const valueField = r.pick(f, entries, key);
    const fix =
      key === 'context' ? CONTEXT_FIX : 'write an image reference such as ghcr.io/org/server:1.0';
    const value = r.text(valueField, `a ${key}`, fix);
    if (value === undefined) continue;
    // Passed to kubectl as an argument: no option look-alikes, no whitespace.
    if (kubectlArgumentProblem(value) !== undefined) {
      r.report(
        valueField,
        `must be a ${key} name without spaces, not starting with '-', got ${quote(value)}`,
        fix,
      );
    } else target[key] = value;
  }
  return target;
}

function checkPipeline(r: NodeReader, f: Field): void {
  const entries = r.entries(f, PIPELINE_KEYS, A_MAPPING);
  const nameField = r.pick(f, entries, 'name');
  const pipelineName = r.text(nameField, 'a pipeline name', 'write a name such as iris-pipeline');
  if (pipelineName !== undefined) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(pipelineName)) {
      r.report(
        nameField,
        `must be a pipeline name, got ${quote(pipelineName)}`,
        "use up to 63 lowercase letters, digits or '-', e.g. iris-pipeline",
      );
    }
  }
  const imageField = r.pick(f, entries, 'image');
  const image = r.text(
    imageField,
    'an image',
    'write an image reference such as ghcr.io/acme/train:1.0',
  );
  if (image !== undefined) {
    if (image === '' || image.startsWith('-') || /\s/.test(image) || image.length > MAX_TEXT) {
      r.report(
        imageField,
        `must be an image reference without spaces, got ${quote(image)}`,
        'write an image reference such as ghcr.io/acme/train:1.0',
      );
    }
  }
}

function readDeploy(
  r: NodeReader,
  f: Field,
  stages: string[] | null,
): Record<string, DeployTarget> {
  const out: Record<string, DeployTarget> = {};
  for (const target of r.entries(f, null, `${A_MAPPING} of stage names ('*' for any stage)`) ??
    []) {
    if (target.key !== '*') {
      if (name(r, target, STAGE_NAME, 'stage', true) === undefined) continue;
      if (!checkListedStage(r, target, target.key, stages, true)) continue;
    }
    out[target.key] = readTarget(r, target);
  }
  return out;
}
