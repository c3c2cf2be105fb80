/**
 * The experiments the endpoint knows: ghml.yml's default and configured experiments, every
 * experiment with runs on the tracking branch, and those created through the API. Experiments
 * have no object of their own on the branch (a run names its experiment), so an experiment
 * created without runs, and experiment tags, are kept in `<git dir>/ghml/mlflow/experiments.json`
 * on this machine only. Ids come from names (experiment-id.ts), so they agree everywhere.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TrackingStore } from '../../tracking/store/tracking-store.js';
import { isExperimentName } from '../../tracking/store/run-path.js';
import { MlflowApiError, invalidParameter, notFound } from '../http/mlflow-error.js';
import { DEFAULT_EXPERIMENT_ID, ExperimentIds, isExperimentIdShape } from '../ids/experiment-id.js';
import { MLFLOW_LIMITS, checkKey } from '../validation/mlflow-validation.js';

/** An experiment as MLflow's API shows it. */
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active';
  creation_time: number;
  last_update_time: number;
  tags: Array<{ key: string; value: string }>;
}

interface LocalExperiment {
  created: number;
  tags: Record<string, string>;
}

/** How long a listing of the branch's experiments is reused. */
const REFRESH_MS = 2000;

export class ExperimentCatalog {
  readonly ids: ExperimentIds;
  private readonly names = new Set<string>();
  private local = new Map<string, LocalExperiment>();
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private readonly file: string;

  constructor(
    private readonly store: TrackingStore,
    gitDir: string,
    defaultExperiment: string,
    configured: Iterable<string>,
  ) {
    this.ids = new ExperimentIds(defaultExperiment);
    this.file = join(gitDir, 'ghml', 'mlflow', 'experiments.json');
    this.add(defaultExperiment);
    for (const name of configured) this.add(name);
  }

  /** Loads the local experiments file (missing or unreadable: none). */
  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Record<
        string,
        LocalExperiment
      >;
      for (const [name, value] of Object.entries(parsed)) {
        if (!isExperimentName(name) || typeof value !== 'object' || value === null) continue;
        this.local.set(name, {
          created: typeof value.created === 'number' ? value.created : Date.now(),
          tags: Object.assign(Object.create(null) as Record<string, string>, value.tags ?? {}),
        });
        this.add(name);
      }
    } catch {
      this.local = new Map();
    }
  }

  add(name: string): void {
    if (this.names.has(name)) return;
    this.names.add(name);
    this.ids.idOf(name);
  }

  /** Learns the experiments on the tracking branch (reused for a moment). */
  async refresh(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.refreshedAt < REFRESH_MS) return;
    this.refreshedAt = now;
    for (const location of await this.store.locateRuns()) this.add(location.experiment);
  }

  /** The name of an experiment id; throws MLflow's not-found error. */
  async nameOf(id: string): Promise<string> {
    if (!isExperimentIdShape(id)) {
      throw invalidParameter(`Invalid experiment ID: '${id}'`);
    }
    let name = this.ids.nameOf(id);
    if (name === undefined || !this.names.has(name)) {
      await this.refresh(true);
      name = this.ids.nameOf(id);
    }
    if (name === undefined || !this.names.has(name)) {
      throw notFound(`No Experiment with id=${id} exists`);
    }
    return name;
  }

  /** The id of a known experiment; throws not-found for an unknown name. */
  async idOfExisting(name: string): Promise<string> {
    if (!this.names.has(name)) await this.refresh(true);
    if (!this.names.has(name)) {
      throw notFound(`Could not find experiment with name '${name}'`);
    }
    return this.ids.idOf(name);
  }

  idOf(name: string): string {
    return this.ids.idOf(name);
  }

  /** Creates an experiment; MLflow's errors for bad and taken names. */
  async create(name: string, tags: Array<{ key: string; value: string }>): Promise<string> {
    checkExperimentName(name);
    await this.refresh(true);
    if (this.names.has(name)) {
      throw new MlflowApiError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
    }
    for (const tag of tags) checkExperimentTag(tag.key, tag.value);
    const record: LocalExperiment = {
      created: Date.now(),
      tags: Object.create(null) as Record<string, string>,
    };
    for (const tag of tags) record.tags[tag.key] = tag.value;
    this.local.set(name, record);
    this.add(name);
    await this.save();
    return this.ids.idOf(name);
  }

  async setTag(name: string, key: string, value: string): Promise<void> {
    checkExperimentTag(key, value);
    const record = this.local.get(name) ?? {
      created: Date.now(),
      tags: Object.create(null) as Record<string, string>,
    };
    record.tags[key] = value;
    this.local.set(name, record);
    await this.save();
  }

  async deleteTag(name: string, key: string): Promise<void> {
    const record = this.local.get(name);
    if (record === undefined || !Object.hasOwn(record.tags, key)) {
      throw notFound(`No tag with name: ${key} in experiment with id ${this.ids.idOf(name)}`);
    }
    delete record.tags[key];
    await this.save();
  }

  /** Every known experiment name, sorted. */
  async all(): Promise<string[]> {
    await this.refresh();
    return [...this.names].sort();
  }

  view(name: string): MlflowExperiment {
    const id = this.ids.idOf(name);
    const local = this.local.get(name);
    const created = local?.created ?? 0;
    return {
      experiment_id: id,
      name,
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      creation_time: created,
      last_update_time: created,
      tags: Object.entries(local?.tags ?? {}).map(([key, value]) => ({ key, value })),
    };
  }

  private async save(): Promise<void> {
    const data: Record<string, LocalExperiment> = {};
    for (const [name, value] of this.local) data[name] = value;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
    await rename(tmp, this.file);
  }
}

/** MLflow's experiment-name checks, then ghml's (names are path segments on the branch). */
export function checkExperimentName(name: string): void {
  if (name === '') throw invalidParameter(`Invalid experiment name: '${name}'`);
  if (name.length > MLFLOW_LIMITS.maxExperimentNameLength) {
    throw invalidParameter(
      `'name' exceeds the maximum length of ${MLFLOW_LIMITS.maxExperimentNameLength} characters`,
    );
  }
  if (!isExperimentName(name)) {
    throw invalidParameter(
      `Invalid experiment name: '${name}'. ghml experiment names are folder names on the tracking branch: they match [A-Za-z0-9][A-Za-z0-9._-]{0,99} and do not end in '.lock'.`,
      "e.g. mlflow.set_experiment('iris-baseline')",
    );
  }
}

function checkExperimentTag(key: string, value: string): void {
  checkKey(key, 'key', 'key');
  if (value.length > MLFLOW_LIMITS.maxExperimentTagValueLength) {
    throw invalidParameter(
      `'value' exceeds the maximum length of ${MLFLOW_LIMITS.maxExperimentTagValueLength} characters`,
    );
  }
}

export { DEFAULT_EXPERIMENT_ID };
