/**
 * MLflow's model registry over ghml's git-tag registry (GTO grammar, RegistryService), so
 * MLflow code writes the tags `ghml model` and GTO read:
 * - `model-versions/create` (register_model) registers the next patch version `name@vX.Y.Z`
 *   on the commit the run trained on, with the run and its model folder in the tag message;
 * - MLflow version numbers are positions: version N is the model's N-th registration, by tag
 *   date (then SemVer), deregistered versions included, so numbers never shift;
 * - an alias is a GTO stage (`name#alias#N`); a stage transition to Staging / Production /
 *   Archived assigns the stage `staging` / `production` / `archived`, to None unassigns them.
 * What has no git equivalent (descriptions, registered-model tags, version tags) is answered
 * empty and refused when written; docs/mlflow.md lists each field.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../errors/ghml-error.js';
import { recordRegistryEvent } from '../../registry/registry-provenance.js';
import { metadataFromRun } from '../../registry/registry-ports.js';
import { RegistryService } from '../../registry/registry-service.js';
import type { ModelState, ModelVersion } from '../../registry/registry-state.js';
import type { TagArtifact } from '../../registry/tags/tag-message.js';
import { checkModelName } from '../../registry/tags/model-name.js';
import type { RunRecord } from '../../tracking/run-record.js';
import { MlflowApiError, invalidParameter, notFound } from '../http/mlflow-error.js';
import { parseArtifactLocation } from '../ids/artifact-location.js';
import type { LoggedModels } from '../runs/logged-models.js';
import type { FoundRun, RunBridge } from '../runs/run-bridge.js';
import { openRecord } from '../runs/run-search.js';

/** MLflow's deprecated stages and the GTO stages they map to. */
const MLFLOW_STAGES: Readonly<Record<string, string>> = {
  staging: 'staging',
  production: 'production',
  archived: 'archived',
};

export interface RegistryBridgeOptions {
  service: RegistryService;
  runs: RunBridge;
  models: LoggedModels;
  /** Record registry events on runs and push them (a remote exists). */
  push: () => Promise<boolean>;
  log: (message: string) => void;
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: 'READY';
  tags: Array<{ key: string; value: string }>;
  aliases: string[];
  model_id?: string;
}

export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  latest_versions: MlflowModelVersion[];
  tags: Array<{ key: string; value: string }>;
  aliases: Array<{ alias: string; version: string }>;
}

/** The versions of a model in MLflow's numbering (1 = first registered). */
function numbered(model: ModelState): ModelVersion[] {
  return [...model.versions].sort(
    (a, b) =>
      a.registered.date - b.registered.date ||
      (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
  );
}

function stageLabel(stages: readonly string[]): string {
  if (stages.includes('production')) return 'Production';
  if (stages.includes('staging')) return 'Staging';
  if (stages.includes('archived')) return 'Archived';
  return 'None';
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class RegistryBridge {
  constructor(private readonly options: RegistryBridgeOptions) {}

  private async state() {
    return this.options.service.list();
  }

  private async model(name: string): Promise<ModelState> {
    checkName(name);
    const model = (await this.state()).models.find((m) => m.name === name);
    if (model === undefined) throw notFound(`Registered Model with name=${name} not found`);
    return model;
  }

  versionView(model: ModelState, version: ModelVersion, number: number): MlflowModelVersion {
    const meta = version.registered.metadata ?? {};
    const runId = meta.runId ?? '';
    const artifact = meta.artifacts?.[0]?.uri ?? '';
    const folder = /^ghml-run:[^/]+\/(.*)\/[^/]+$/.exec(artifact)?.[1];
    const experimentId =
      meta.experiment === undefined ? '0' : this.options.runs.experiments.idOf(meta.experiment);
    const source =
      runId === ''
        ? ''
        : `mlflow-artifacts:/${experimentId}/${runId}/artifacts${folder === undefined ? '' : `/${folder}`}`;
    const updated = Math.max(
      version.registered.date,
      ...model.events.filter((e) => e.version === version.version).map((e) => e.date),
    );
    return {
      name: model.name,
      version: String(number),
      creation_timestamp: version.registered.date * 1000,
      last_updated_timestamp: updated * 1000,
      current_stage: version.active ? stageLabel(version.stages) : 'Archived',
      description: version.registered.summary,
      source,
      run_id: runId,
      status: 'READY',
      tags: [
        { key: 'ghml.version', value: version.version },
        { key: 'ghml.tag', value: version.registered.tag },
      ],
      aliases: version.active ? version.stages : [],
    };
  }

  modelView(model: ModelState): MlflowRegisteredModel {
    const versions = numbered(model);
    const views = versions.map((v, i) => this.versionView(model, v, i + 1));
    const latestByStage = new Map<string, MlflowModelVersion>();
    for (const view of views) latestByStage.set(view.current_stage, view);
    const first = model.events[0]?.date ?? 0;
    const last = model.events.at(-1)?.date ?? first;
    const aliases: Array<{ alias: string; version: string }> = [];
    views.forEach((view) => {
      for (const alias of view.aliases) aliases.push({ alias, version: view.version });
    });
    return {
      name: model.name,
      creation_timestamp: first * 1000,
      last_updated_timestamp: last * 1000,
      description: '',
      latest_versions: [...latestByStage.values()],
      tags: model.deprecated ? [{ key: 'ghml.deprecated', value: 'true' }] : [],
      aliases,
    };
  }

  /** registered-models/create: GTO has no empty models, so this only checks the name. */
  async createModel(name: string): Promise<MlflowRegisteredModel> {
    checkName(name);
    const existing = (await this.state()).models.find((m) => m.name === name);
    if (existing !== undefined) {
      throw new MlflowApiError(
        'RESOURCE_ALREADY_EXISTS',
        `Registered Model (name=${name}) already exists.`,
      );
    }
    return {
      name,
      creation_timestamp: Date.now(),
      last_updated_timestamp: Date.now(),
      description: '',
      latest_versions: [],
      tags: [],
      aliases: [],
    };
  }

  async getModel(name: string): Promise<MlflowRegisteredModel> {
    return this.modelView(await this.model(name));
  }

  async searchModels(nameTest: (name: string) => boolean): Promise<MlflowRegisteredModel[]> {
    return (await this.state()).models
      .filter((m) => nameTest(m.name))
      .map((m) => this.modelView(m));
  }

  async version(name: string, number: string): Promise<MlflowModelVersion> {
    const model = await this.model(name);
    const versions = numbered(model);
    const n = Number(number);
    const found = Number.isSafeInteger(n) && n >= 1 ? versions[n - 1] : undefined;
    if (found === undefined) {
      throw notFound(`Model Version (name=${name}, version=${number}) not found`);
    }
    return this.versionView(model, found, n);
  }

  private async semver(name: string, number: string): Promise<string> {
    const model = await this.model(name);
    const found = numbered(model)[Number(number) - 1];
    if (found === undefined || !/^\d+$/.test(number)) {
      throw notFound(`Model Version (name=${name}, version=${number}) not found`);
    }
    return found.version;
  }

  async searchVersions(
    nameTest: (name: string) => boolean,
    runId?: string,
  ): Promise<MlflowModelVersion[]> {
    const out: MlflowModelVersion[] = [];
    for (const model of (await this.state()).models) {
      if (!nameTest(model.name)) continue;
      numbered(model).forEach((v, i) => {
        const view = this.versionView(model, v, i + 1);
        if (runId === undefined || view.run_id === runId) out.push(view);
      });
    }
    return out;
  }

  /** model-versions/create: registers the next patch version from a run's model folder. */
  async createVersion(
    name: string,
    source: string,
    runIdHint: string | undefined,
    modelId: string | undefined,
  ): Promise<MlflowModelVersion> {
    checkName(name);
    const { run, folder } = await this.resolveSource(source, runIdHint, modelId);
    const record = run.kind === 'open' ? openRecord(run.state) : run.run.record;
    const artifacts = await this.folderArtifacts(run, record, folder);
    if (artifacts.length === 0) {
      throw invalidParameter(
        `Run ${record.id} has no files under '${folder}' to register.`,
        'log the model first (mlflow.<flavor>.log_model) and register its runs:/<run id>/<path>',
      );
    }
    const metadata = { ...metadataFromRun(record), artifacts };
    let tag: string;
    try {
      const result = await this.options.service.register({
        name,
        commit: record.source.commit,
        runId: record.id,
        metadata,
        message: `Register ${name} from MLflow (${source})`,
      });
      tag = result.tag;
    } catch (error) {
      throw registryError(error);
    }
    if (run.kind === 'stored') await this.provenance(record.id, 'register', name, tag);
    const model = await this.model(name);
    const versions = numbered(model);
    const index = versions.findIndex((v) => v.registered.tag === tag);
    return this.versionView(model, versions[index] as ModelVersion, index + 1);
  }

  async setAlias(name: string, alias: string, number: string): Promise<void> {
    checkAlias(alias);
    const version = await this.semver(name, number);
    try {
      await this.options.service.promote(
        name,
        version,
        alias,
        `Set alias ${alias} of ${name} to version ${number} (MLflow)`,
      );
    } catch (error) {
      if (
        (error as Error).name === 'RegistryRuleError' &&
        /already in stage/.test((error as Error).message)
      )
        return;
      throw registryError(error);
    }
  }

  /**
   * Removes an alias. In GTO a stage falls back to the version assigned before when its holder
   * is unassigned; an MLflow alias is gone once deleted, so every holder is unassigned in turn.
   */
  async deleteAlias(name: string, alias: string): Promise<void> {
    checkAlias(alias);
    const model = await this.model(name);
    if (!model.stages.some((s) => s.stage === alias && s.current !== null)) {
      throw notFound(`Registered model alias ${alias} not found.`);
    }
    try {
      for (let i = 0; i <= model.versions.length; i++) {
        const current = (await this.model(name)).stages.find((s) => s.stage === alias)?.current;
        if (current === null || current === undefined) return;
        await this.options.service.demote(name, alias, `Delete alias ${alias} of ${name} (MLflow)`);
      }
    } catch (error) {
      throw registryError(error);
    }
  }

  async byAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    const model = await this.model(name);
    const holder = model.stages.find((s) => s.stage === alias)?.current;
    const versions = numbered(model);
    const index = versions.findIndex((v) => v.version === holder?.version);
    if (holder === null || holder === undefined || index < 0) {
      throw notFound(`Registered model alias ${alias} not found.`);
    }
    return this.versionView(model, versions[index] as ModelVersion, index + 1);
  }

  /** transition-stage: Staging / Production / Archived assign that stage; None unassigns them. */
  async transition(
    name: string,
    number: string,
    stage: string,
    archiveExisting: boolean,
  ): Promise<MlflowModelVersion> {
    const version = await this.semver(name, number);
    const lower = stage.toLowerCase();
    try {
      if (lower === 'none') {
        const model = await this.model(name);
        const held = model.versions.find((v) => v.version === version)?.stages ?? [];
        for (const s of Object.values(MLFLOW_STAGES)) {
          if (held.includes(s))
            await this.options.service.demote(
              name,
              s,
              `Move ${name} version ${number} to None (MLflow)`,
            );
        }
      } else {
        const target = MLFLOW_STAGES[lower];
        if (target === undefined) {
          throw invalidParameter(
            `Invalid Model Version stage: ${stage}. Value must be one of None, Staging, Production, Archived.`,
          );
        }
        await this.options.service.promote(
          name,
          version,
          target,
          `Transition ${name} version ${number} to ${stage} (MLflow)`,
        );
      }
    } catch (error) {
      if (!(
        (error as Error).name === 'RegistryRuleError' &&
        /already in stage/.test((error as Error).message)
      )) {
        throw registryError(error);
      }
    }
    void archiveExisting; // a GTO stage holds one version: the previous holder leaves it anyway
    return this.version(name, number);
  }

  /** model-versions/delete: deregisters the version (`name@vX.Y.Z!`). */
  async deleteVersion(name: string, number: string): Promise<void> {
    const version = await this.semver(name, number);
    try {
      await this.options.service.deregister(
        name,
        version,
        `Deregister ${name} version ${number} (MLflow)`,
      );
    } catch (error) {
      throw registryError(error);
    }
  }

  /** get-download-uri: the run folder holding the version's files. */
  async downloadUri(name: string, number: string): Promise<string> {
    return (await this.version(name, number)).source;
  }

  private async resolveSource(
    source: string,
    runIdHint: string | undefined,
    modelId: string | undefined,
  ): Promise<{ run: FoundRun; folder: string }> {
    const runs = /^runs:\/([^/]+)\/(.+?)\/*$/.exec(source);
    if (runs)
      return { run: await this.options.runs.find(runs[1] as string), folder: runs[2] as string };
    const models = /^models:\/(m-[^/]+)\/*$/.exec(source) ?? (modelId ? [source, modelId] : null);
    if (models) {
      const { model, run } = await this.options.models.find(models[1] as string);
      return { run, folder: model.path };
    }
    if (source.startsWith('mlflow-artifacts:/')) {
      const location = parseArtifactLocation(source.slice('mlflow-artifacts:/'.length));
      if (location !== undefined && location.path !== '') {
        return { run: await this.options.runs.find(location.runId), folder: location.path };
      }
    }
    if (runIdHint !== undefined && runIdHint !== '') {
      throw invalidParameter(
        `Invalid model version source '${source}': ghml registers models logged to its runs (runs:/${runIdHint}/<path>).`,
      );
    }
    throw invalidParameter(
      `Invalid model version source '${source}': use runs:/<run id>/<path>, models:/<model id> or the run's mlflow-artifacts URI.`,
    );
  }

  private async folderArtifacts(
    run: FoundRun,
    record: RunRecord,
    folder: string,
  ): Promise<TagArtifact[]> {
    const prefix = `${folder.replace(/\/+$/, '')}/`;
    const uri = (path: string) => `ghml-run:${record.id}/${path}`;
    if (run.kind === 'stored') {
      return record.artifacts
        .filter((a) => a.path.startsWith(prefix))
        .map((a) => ({ uri: uri(a.path), sha256: a.sha256, size: a.size }));
    }
    const out: TagArtifact[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = `${rel}${entry.name}`;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full, `${path}/`);
        else if (entry.isFile()) {
          out.push({
            uri: uri(path),
            sha256: await sha256File(full),
            size: (await stat(full)).size,
          });
        }
      }
    };
    await walk(join(run.state.sink.artifactsDir, ...folder.split('/')), prefix);
    return out;
  }

  private async provenance(
    runId: string,
    action: 'register',
    model: string,
    tag: string,
  ): Promise<void> {
    const outcome = await recordRegistryEvent(
      this.options.runs.store,
      runId,
      { at: Date.now(), action, tag, model, version: tag.slice(tag.indexOf('@') + 1) },
      { push: await this.options.push() },
    );
    if (outcome.problem !== undefined) {
      this.options.log(
        `ghml: ${tag} is written, but not recorded on run ${runId}: ${outcome.problem}`,
      );
    }
  }
}

function checkName(name: string): void {
  if (checkModelName(name) !== undefined) {
    throw invalidParameter(
      `Invalid registered model name '${name}': ghml model names are git tag parts matching [a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?.`,
    );
  }
}

function checkAlias(alias: string): void {
  if (!/^[\w-]*$/.test(alias) || alias.length > 255) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (alias.toLowerCase() === 'latest' || /^[vV]\d+$/.test(alias)) {
    throw invalidParameter(`'${alias}' is reserved and cannot be used as an alias.`);
  }
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$/.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}': ghml aliases are GTO stages: letters and digits, with '-' or '_' inside.`,
    );
  }
}

function registryError(error: unknown): MlflowApiError {
  if (error instanceof MlflowApiError) return error;
  const name = (error as Error).name;
  const message = describeError(error);
  if (name === 'VersionExistsError' || name === 'TagConflictError') {
    return new MlflowApiError('RESOURCE_ALREADY_EXISTS', message);
  }
  if (name === 'RegistryLookupError') return notFound(message);
  return invalidParameter(message);
}
