/**
 * The part of a deploy that is ghml's own work: resolve the version through the registry,
 * fill the values, load and render the templates. No cluster, kubectl or token is needed, so
 * `--dry-run` is exactly this, and bench/deploy measures it.
 */
import { dirname } from 'node:path';
import type { DeployTarget, GhmlConfig } from '../config/config-types.js';
import { deployTargetFor } from '../config/settings-lookup.js';
import {
  InvalidNameError,
  RegistryLookupError,
  StageNotAllowedError,
} from '../registry/registry-errors.js';
import type { ModelState, RegistryState } from '../registry/registry-state.js';
import { assertModelName, assertStageName } from '../registry/tags/model-name.js';
import { parseSemVer } from '../registry/tags/semver.js';
import type { TagArtifact, TagMetadata } from '../registry/tags/tag-message.js';
import { ArtifactNotDeployableError, NothingToDeployError } from './deploy-errors.js';
import {
  DEFAULT_IMAGE,
  DEFAULT_MODEL_FORMAT,
  type DeployValues,
  type PlaceholderName,
} from './manifests/deploy-values.js';
import { WORKLOAD_KINDS, type WorkloadRef } from './kube/kube-client.js';
import { objectName } from './kube/kube-names.js';
import { deliveryFor, type Delivery } from './delivery/model-delivery.js';
import { renderTemplates, type KubeObject } from './manifests/manifest-render.js';
import { loadTemplateSet, type TemplateSet } from './manifests/template-source.js';

/** Reads the registry (RegistryService implements it). */
export interface RegistryReader {
  list(): Promise<RegistryState>;
}

export interface DeployRequest {
  model: string;
  stage: string;
  /** Deploy this version instead of the stage's current one. */
  version?: string;
  /** Command-line overrides of the stage's deploy target. */
  namespace?: string;
  context?: string;
}

/** The version a deploy resolved to. */
export interface ResolvedVersion {
  model: string;
  version: string;
  stage: string;
  commit: string;
  /** The registration tag, e.g. 'iris@v1.3.0'. */
  tag: string;
  /** The stage assignment tag when the stage decided the version ('iris#prod#7'). */
  assignmentTag: string | null;
  /** What the registry says the stage holds (may differ from `version` with --version). */
  stageVersion: string | null;
  runId: string | null;
  artifact: TagArtifact | null;
  /** How the cluster gets the model (the release, the artifact store, a modelcar). */
  delivery: Delivery;
  /** The registration tag's metadata (files, folder, store reference), when it has a block. */
  metadata: TagMetadata | null;
  /** 'iris#prod' or 'iris@v1.3.0', for messages. */
  reference: string;
}

export interface DeployPlan {
  resolved: ResolvedVersion;
  target: DeployTarget;
  values: DeployValues;
  templates: TemplateSet;
  objects: KubeObject[];
  /** The objects ghml awaits (Deployments, InferenceServices…). */
  workloads: WorkloadRef[];
  used: Set<PlaceholderName>;
}

export interface PlanContext {
  config: GhmlConfig;
  repoRoot: string;
  registry: RegistryReader;
}

/** Resolves the version to deploy from a loaded registry state. */
export function resolveVersion(
  state: RegistryState,
  config: GhmlConfig,
  request: Pick<DeployRequest, 'model' | 'stage' | 'version'>,
): ResolvedVersion {
  const name = assertModelName(request.model);
  const stage = assertStageName(request.stage);
  const allowed = config.registry.stages;
  if (allowed && !allowed.includes(stage)) throw new StageNotAllowedError(stage, allowed);
  if (request.version !== undefined && parseSemVer(request.version) === undefined) {
    throw new InvalidNameError('version', request.version);
  }
  const model: ModelState | undefined = state.models.find((m) => m.name === name);
  if (!model) {
    throw new RegistryLookupError(
      name,
      `Model '${name}' is not in the registry.`,
      `Register a version first: ghml model register ${name}`,
    );
  }
  const holder = model.stages.find((s) => s.stage === stage)?.current ?? null;
  let versionName: string;
  let reference: string;
  if (request.version !== undefined) {
    versionName = request.version;
    reference = `${name}@${versionName}`;
  } else {
    reference = `${name}#${stage}`;
    if (!holder) {
      throw new NothingToDeployError(
        reference,
        `Stage '${stage}' of model '${name}' has no version assigned.`,
        `Promote one first (ghml model promote ${name} latest ${stage}), or pass --version vX.Y.Z.`,
      );
    }
    if (holder.version === null) {
      throw new NothingToDeployError(
        reference,
        `Stage '${stage}' of model '${name}' points at commit ${holder.commit.slice(0, 12)}, which has no registered version.`,
        `Register a version on that commit, then promote it: ghml model register ${name}`,
      );
    }
    versionName = holder.version;
  }
  const found = model.versions.find((v) => v.version === versionName);
  if (!found || !found.active) {
    throw new RegistryLookupError(
      reference,
      found
        ? `${name} ${versionName} was deregistered.`
        : `Model '${name}' has no version ${versionName}.`,
      `ghml model list shows the versions of '${name}'.`,
    );
  }
  const metadata = found.registered.metadata;
  const delivery = deliveryFor(metadata, modelSettings(config, name)?.path ?? []);
  return {
    model: name,
    version: found.version,
    stage,
    commit: found.commit,
    tag: found.registered.tag,
    assignmentTag: request.version === undefined ? (holder?.assignment.tag ?? null) : null,
    stageVersion: holder?.version ?? null,
    runId: metadata?.runId ?? null,
    artifact: delivery.artifact,
    delivery,
    metadata: metadata ?? null,
    reference,
  };
}

function modelSettings(
  config: GhmlConfig,
  name: string,
): { path: string[]; type: string | null } | undefined {
  return Object.hasOwn(config.registry.models, name) ? config.registry.models[name] : undefined;
}

/** The stage's deploy target with the command-line overrides. */
export function targetFor(config: GhmlConfig, request: DeployRequest): DeployTarget {
  const base = deployTargetFor(config, request.stage);
  return {
    ...base,
    namespace: request.namespace ?? base.namespace,
    context: request.context ?? base.context,
  };
}

export function valuesFor(
  resolved: ResolvedVersion,
  target: DeployTarget,
  config: GhmlConfig,
): DeployValues {
  const uri = resolved.artifact?.uri ?? '';
  return {
    model: resolved.model,
    version: resolved.version,
    stage: resolved.stage,
    uri,
    sha256: resolved.artifact?.sha256 ?? '',
    commit: resolved.commit,
    image: target.image ?? DEFAULT_IMAGE,
    tag: resolved.tag,
    runId: resolved.runId ?? '',
    name: objectName(resolved.model, resolved.stage),
    modelFormat: modelSettings(config, resolved.model)?.type ?? DEFAULT_MODEL_FORMAT,
    file: resolved.delivery.file,
    source: resolved.delivery.source,
    store: resolved.delivery.store,
    files: resolved.delivery.files,
  };
}

/** Renders a resolved version with a stage's target. */
export async function renderPlan(
  resolved: ResolvedVersion,
  target: DeployTarget,
  context: Pick<PlanContext, 'config' | 'repoRoot'>,
): Promise<DeployPlan> {
  const baseDir = context.config.file === null ? context.repoRoot : dirname(context.config.file);
  const templates = await loadTemplateSet(target.templates, baseDir, context.repoRoot);
  const values = valuesFor(resolved, target, context.config);
  const { objects, used } = renderTemplates(templates.files, values);
  // The namespace goes into the objects too, so `--dry-run | kubectl apply -f -` lands where a
  // deploy would. A template's own namespace is kept (kubectl then refuses a mismatch).
  if (target.namespace !== null) {
    for (const object of objects) object.metadata.namespace ??= target.namespace;
  }
  const workloads = objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name }));
  return { resolved, target, values, templates, objects, workloads, used };
}

/** Resolve + render: everything a dry run does. */
export async function planDeploy(
  request: DeployRequest,
  context: PlanContext,
): Promise<DeployPlan> {
  const state = await context.registry.list();
  const resolved = resolveVersion(state, context.config, request);
  return renderPlan(resolved, targetFor(context.config, request), context);
}

const CLUSTER_SCHEMES = new Set([
  'https:',
  'http:',
  'gs:',
  's3:',
  'pvc:',
  'oci:',
  'hf:',
  'hdfs:',
  'webhdfs:',
]);

/**
 * Problems that stop a real deploy but not a dry run: the templates use the artifact's URI or
 * digest, and the registry has none, or one the cluster cannot fetch (a local file:// path, a
 * version only in the artifact store for templates that cannot pull from it, a modelcar for
 * templates that download files).
 */
export function deployabilityProblems(plan: DeployPlan): string[] {
  const problems: string[] = [];
  const { values, used } = plan;
  const source = plan.resolved.delivery.source;
  if (source === 'store' && !used.has('store')) {
    problems.push(
      `${plan.resolved.tag} has no release asset, and the templates cannot pull the model from the artifact store ` +
        "(their ${ghml.uri} goes to the cluster as a URL, e.g. KServe's storageUri): deploy with --modelcar, " +
        `or publish the release (ghml model release ${plan.resolved.tag})`,
    );
    return problems;
  }
  if (source === 'modelcar' && (used.has('file') || used.has('files'))) {
    problems.push(
      'a modelcar is served by KServe (templates: kserve or kserve-mlflow); these templates download the model files themselves: deploy without --modelcar',
    );
    return problems;
  }
  if (source === 'store') return problems;
  if (used.has('uri') || used.has('file')) {
    if (values.uri === '') {
      problems.push('the registration tag records no artifact URI');
    } else {
      let scheme = '';
      try {
        scheme = new URL(values.uri).protocol;
      } catch {
        scheme = '';
      }
      if (!CLUSTER_SCHEMES.has(scheme)) {
        problems.push(`the artifact URI '${values.uri}' cannot be fetched from the cluster`);
      }
    }
  }
  if (used.has('sha256') && !/^[0-9a-f]{64}$/.test(values.sha256)) {
    problems.push('the registration tag records no sha256 of the artifact');
  }
  return problems;
}

/** Throws ArtifactNotDeployableError when `deployabilityProblems` finds any. */
export function assertDeployable(plan: DeployPlan): void {
  const problems = deployabilityProblems(plan);
  if (problems.length > 0) {
    throw new ArtifactNotDeployableError(
      `${plan.resolved.model} ${plan.resolved.version}`,
      `${problems.join('; ')}.`,
    );
  }
}
