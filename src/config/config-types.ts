/**
 * The settings `ghml.yml` holds, after defaults are applied. Every field has a default, so a
 * repository with no ghml.yml works. `src/config/load-config.ts` parses and validates the file.
 */
import type { ArtifactStoreUrl } from './artifact-store-url.js';

/** Which way a metric improves. */
export type MetricDirection = 'max' | 'min';

/** A regression threshold: an absolute amount, or a percentage of the base value. */
export type Threshold = { kind: 'absolute'; value: number } | { kind: 'percent'; value: number };

export interface MetricSettings {
  /** Default 'max'; names ending in loss/error/mse/mae/rmse/time/latency default to 'min'. */
  direction: MetricDirection;
  /** Changes smaller than this are 'unchanged'. Default: absolute 0. */
  threshold: Threshold;
  /** Digits after the decimal point when displayed. Default 4. */
  precision: number;
}

export interface ExperimentSettings {
  /** Metric a sweep's leaderboard is ranked by. Default: the first configured metric. */
  objective: string | null;
  metrics: Record<string, MetricSettings>;
}

export interface TrackingSettings {
  /** Tracking branch name. Default 'ghml/runs'. */
  branch: string;
  /** Remote runs are pushed to and read from. Default 'origin'. */
  remote: string;
  /** Opt-in: parse `key=value` lines on the command's stdout as metrics. Default false. */
  stdoutMetrics: boolean;
  /** Budget for the push retry loop, in milliseconds. Default 120000. */
  pushTimeoutMs: number;
  /**
   * Bytes the runs of one pull request may add to the tracking branch through the fork-safe
   * import, all its pushes together (`pr_budget`). Default 64 MiB.
   */
  prBudgetBytes: number;
}

export interface RunSourceFiles {
  /** YAML/JSON files whose (flattened) values become params. Default ['params.yaml']. */
  paramsFiles: string[];
  /** DVC-style metrics files read when the command ends. Default ['metrics.json', 'metrics.yaml']. */
  metricsFiles: string[];
}

export interface ArtifactLimits {
  /** A file larger than this is not stored on the branch, only its digest. Default 1 MiB. */
  maxFileBytes: number;
  /** Once a run's stored artifacts reach this total, further files are not stored. Default 10 MiB. */
  maxTotalBytes: number;
  /**
   * `artifacts.store`: where files not kept on the branch are uploaded. Absent when ghml.yml does
   * not set it: then the environment decides (GitHub's container registry on Actions, none
   * elsewhere; see src/artifacts/store-settings.ts).
   */
  store?: ArtifactStoreUrl;
}

export interface ModelSettings {
  /** Path of the model file(s), relative to the repository or the run's artifacts. */
  path: string[];
  /** Experiment whose runs produce this model. Default: the model's name. */
  experiment: string;
  type: string | null;
  description: string | null;
}

export interface RegistrySettings {
  models: Record<string, ModelSettings>;
  /** Allowed stages; null allows any stage matching the name grammar. Default null. */
  stages: string[] | null;
  /** Ordering rules: stage -> stage that must have held the version first (e.g. prod: staging). */
  requires: Record<string, string>;
  /** The `stages:` list of GTO's `.gto` file, when it has one (read by gto-files.ts). */
  gtoStages?: string[] | null;
  /**
   * Which URL `register` records for a release asset: 'download' (the browser URL, default) or
   * 'api' (`…/releases/assets/<id>`, which a token can read in a private repository).
   */
  assetUrls?: 'download' | 'api';
}

export interface DeployTarget {
  /** 'deployment' | 'kserve' | a path to the user's template directory. Default 'deployment'. */
  templates: string;
  namespace: string | null;
  context: string | null;
  image: string | null;
}

export interface GhmlConfig {
  /** Absolute path of the ghml.yml that was read, or null when defaults were used. */
  file: string | null;
  /** Experiment used when none is given. Default 'default'. */
  defaultExperiment: string;
  tracking: TrackingSettings;
  sources: RunSourceFiles;
  artifacts: ArtifactLimits;
  experiments: Record<string, ExperimentSettings>;
  registry: RegistrySettings;
  /** Deploy targets per stage; the key '*' applies to every stage without its own entry. */
  deploy: Record<string, DeployTarget>;
  /** `report.site_url`: the published report site, which PR comments link to. */
  report?: { siteUrl: string };
}
