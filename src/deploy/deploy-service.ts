/**
 * `ghml deploy`, `ghml deploy status` and `ghml deploy rollback` as services the CLI and the
 * action share. A deploy: resolve + render (deploy-plan.ts), stop there for a dry run; else
 * take the stage's lock, read what runs now, record a GitHub deployment, apply with kubectl,
 * await the rollout, and on failure collect the pod events, roll back (`rollout undo` for
 * Deployments, re-applying the previous objects for anything else, e.g. an InferenceService)
 * and fail with those events. Every deploy ends with an event on the tracking branch.
 */
import { describeError } from '../errors/ghml-error.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { RegistryState } from '../registry/registry-state.js';
import {
  ClusterUnreachableError,
  NoPreviousDeploymentError,
  UnknownContextError,
} from './deploy-errors.js';
import { ModelcarNeedsStoreError } from './delivery/modelcar-deploy.js';
import type { DeployEvent, DeployEventSink } from './deploy-event.js';
import {
  ANNOTATION,
  formatHistory,
  nextHistory,
  readDeployedVersion,
  stageSelector,
  type DeployedVersion,
} from './manifests/deploy-labels.js';
import { acquireDeployLock, defaultHolder } from './kube/deploy-lock.js';
import {
  assertDeployable,
  deployabilityProblems,
  renderPlan,
  resolveVersion,
  targetFor,
  type DeployPlan,
  type DeployRequest,
  type RegistryReader,
  type ResolvedVersion,
} from './deploy-plan.js';
import { DeployFailedError, type DeployFailure, type DeployResult } from './deploy-result.js';
import { collectFailureReport } from './kube/failure-report.js';
import type { DeploymentRecorder } from './github-deployment.js';
import {
  KubeClient,
  ROLLOUT_KINDS,
  typeRef,
  type JsonObject,
  type WorkloadRef,
} from './kube/kube-client.js';
import { legacyObjectName } from './kube/kube-names.js';
import type { Kubectl } from './kube/kubectl-runner.js';
import type { ModelcarBuilder, ModelcarResult } from './delivery/modelcar-deploy.js';
import { formatManifests } from './manifests/manifest-format.js';
import type { KubeObject } from './manifests/manifest-render.js';
import { awaitRollout } from './kube/rollout-wait.js';

/** What the services are built from; the CLI and the action wire the real ones. */
export interface DeployDeps {
  config: GhmlConfig;
  repoRoot: string;
  registry: RegistryReader;
  /** A kubectl door for a target (context/namespace may be null: kubeconfig's defaults). */
  kubectl(target: { context: string | null; namespace: string | null }): Kubectl;
  /** A GitHub deployment recorder for one deploy. */
  recorder(): DeploymentRecorder;
  /** The tracking branch; omitted, no event is written (noted). */
  events?: DeployEventSink;
  /** Progress lines (stderr). */
  log(message: string): void;
  /** Lock holder identity (default: CI run or user@host). */
  holder?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** InferenceService poll interval (default 2000 ms). */
  pollMs?: number;
  /** KServe modelcars in the artifact store (`--modelcar`); absent: refused. */
  modelcars?: ModelcarBuilder;
}

export interface DeployOptions extends DeployRequest {
  timeoutMs: number;
  dryRun?: boolean;
  /** Push a KServe modelcar of the version and serve it (`storageUri: oci://…`). */
  modelcar?: { base?: string };
}

const PRODUCTION_STAGES = new Set(['prod', 'production']);
const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
];

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

function sameObject(live: JsonObject, ref: { kind: string; name: string }): boolean {
  return live['kind'] === ref.kind && record(live['metadata'])['name'] === ref.name;
}

/** A live object as a manifest again: server-owned fields and status removed. */
export function stripLive(live: JsonObject): JsonObject {
  const copy = structuredClone(live);
  delete copy['status'];
  const meta = record(copy['metadata']);
  for (const field of SERVER_FIELDS) delete meta[field];
  const annotations = record(meta['annotations']);
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return copy;
}

/** The objects with this deploy's time and, on workloads, the history of earlier versions. */
function withDeployAnnotations(
  objects: readonly KubeObject[],
  deployedAt: string,
  history: string,
  workloads: readonly WorkloadRef[],
): KubeObject[] {
  return objects.map((o) => {
    const copy = structuredClone(o);
    const isWorkload = workloads.some((w) => w.kind === o.kind && w.name === o.metadata.name);
    copy.metadata.annotations = {
      ...(copy.metadata.annotations ?? {}),
      [ANNOTATION.deployedAt]: deployedAt,
      ...(isWorkload ? { [ANNOTATION.history]: history } : {}),
    };
    return copy;
  });
}

function resultBase(plan: DeployPlan, action: DeployResult['action']): DeployResult {
  const r = plan.resolved;
  return {
    action,
    outcome: 'dry-run',
    model: r.model,
    version: r.version,
    stage: r.stage,
    commit: r.commit,
    tag: r.tag,
    reference: r.reference,
    namespace: plan.target.namespace,
    context: plan.target.context,
    templates: plan.target.templates,
    previousVersion: null,
    rolledBackTo: null,
    applied: [],
    manifests: plan.objects,
    failure: null,
    githubDeploymentId: null,
    notes: [],
    modelcar: null,
  };
}

/** The version served from a modelcar image: `${ghml.uri}` is its reference. */
function withModelcar(
  resolved: ResolvedVersion,
  reference: string,
  digest: string,
): ResolvedVersion {
  const artifact = { uri: reference, sha256: digest.replace(/^sha256:/, ''), size: 0 };
  return {
    ...resolved,
    artifact,
    delivery: { ...resolved.delivery, source: 'modelcar', artifact, store: '', files: '' },
  };
}

export class DeployService {
  constructor(private readonly deps: DeployDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Resolve and render only. */
  async plan(request: DeployRequest): Promise<DeployPlan> {
    const state = await this.deps.registry.list();
    return this.planFrom(state, request);
  }

  private planFrom(state: RegistryState, request: DeployRequest): Promise<DeployPlan> {
    const resolved = resolveVersion(state, this.deps.config, request);
    return renderPlan(resolved, targetFor(this.deps.config, request), this.deps);
  }

  /** `ghml deploy`: a dry run returns the manifests; otherwise throws DeployFailedError on failure. */
  async deploy(
    options: DeployOptions,
    action: DeployResult['action'] = 'deploy',
  ): Promise<DeployResult> {
    if (options.modelcar !== undefined) return this.deployModelcar(options, options.modelcar);
    const plan = await this.plan(options);
    const result = resultBase(plan, action);
    if (options.dryRun) {
      result.notes.push(
        ...deployabilityProblems(plan).map((p) => `a real deploy would stop here: ${p}`),
      );
      return result;
    }
    assertDeployable(plan);
    return this.apply(plan, result, options.timeoutMs);
  }

  /**
   * `--modelcar`: the templates are checked with the planned image first, so nothing is pushed
   * for templates that cannot serve it; a dry run pushes nothing and says what it would push.
   */
  private async deployModelcar(
    options: DeployOptions,
    request: { base?: string },
  ): Promise<DeployResult> {
    const state = await this.deps.registry.list();
    const resolved = resolveVersion(state, this.deps.config, options);
    const builder = this.deps.modelcars;
    if (builder === undefined) {
      throw new ModelcarNeedsStoreError('this deploy has no artifact store');
    }
    const prepared = await builder.prepare(resolved, request);
    const target = targetFor(this.deps.config, options);
    const planned = await renderPlan(
      withModelcar(resolved, prepared.plan.reference, '0'.repeat(64)),
      target,
      this.deps,
    );
    const modelcar: ModelcarResult = { ...prepared.plan, pushed: false, digest: null };
    if (options.dryRun) {
      const result = resultBase(planned, 'deploy');
      result.modelcar = modelcar;
      result.notes.push(
        `would push a modelcar of ${modelcar.files.length} file(s), ${modelcar.bytes} bytes, on ${modelcar.base} to ${modelcar.reference}`,
        ...deployabilityProblems(planned).map((p) => `a real deploy would stop here: ${p}`),
      );
      return result;
    }
    assertDeployable(planned);
    this.deps.log(
      `ghml: pushing a modelcar of ${resolved.model} ${resolved.version} (${modelcar.files.length} file(s)) to ${modelcar.reference}`,
    );
    const pushed = await prepared.push();
    const plan = await renderPlan(
      withModelcar(resolved, pushed.reference, pushed.digest),
      target,
      this.deps,
    );
    const result = resultBase(plan, 'deploy');
    result.modelcar = { ...modelcar, pushed: true, digest: pushed.digest };
    return this.apply(plan, result, options.timeoutMs);
  }

  private async apply(
    plan: DeployPlan,
    result: DeployResult,
    timeoutMs: number,
  ): Promise<DeployResult> {
    const { resolved, target } = plan;
    const client = new KubeClient(
      this.deps.kubectl({ context: target.context, namespace: target.namespace }),
    );
    const started = this.now();
    const lock = await acquireDeployLock(client, {
      model: resolved.model,
      stage: resolved.stage,
      durationSeconds: Math.ceil(timeoutMs / 1000) * 2 + 120,
      holder: this.deps.holder ?? defaultHolder(this.deps.env ?? {}),
      now: () => this.now(),
    });
    const recorder = this.deps.recorder();
    try {
      const liveBefore = await client.getLive(formatManifests(plan.objects));
      const primary = plan.workloads[0];
      const primaryLive =
        primary === undefined ? undefined : liveBefore.find((l) => sameObject(l, primary));
      const previous: DeployedVersion | undefined = readDeployedVersion(primaryLive);
      result.previousVersion = previous?.version ?? null;
      const deployedAt = new Date(this.now()).toISOString();
      const objects = withDeployAnnotations(
        plan.objects,
        deployedAt,
        formatHistory(nextHistory(previous, resolved.version)),
        plan.workloads,
      );
      result.manifests = objects;
      this.deps.log(
        `ghml: deploying ${resolved.model} ${resolved.version} to stage '${resolved.stage}'` +
          `${previous ? ` (replacing ${previous.version})` : ''} with kubectl` +
          `${target.context ? ` --context=${target.context}` : ''}${target.namespace ? ` --namespace=${target.namespace}` : ''}`,
      );
      await recorder.start({
        ref: resolved.commit,
        environment: resolved.stage,
        description: `${result.action === 'rollback' ? 'Roll back' : 'Deploy'} ${resolved.model} ${resolved.version}`,
        payload: {
          model: resolved.model,
          version: resolved.version,
          stage: resolved.stage,
          tag: resolved.tag,
          ...(plan.values.uri === '' ? {} : { uri: plan.values.uri }),
        },
        production: PRODUCTION_STAGES.has(resolved.stage),
      });
      result.githubDeploymentId = recorder.id ?? null;
      try {
        await this.rollOut(client, plan, result, objects, liveBefore, previous, started, timeoutMs);
      } catch (error) {
        // kubectl itself failed (apply refused, cluster gone): nothing is awaited or rolled
        // back, but the GitHub deployment and the tracking branch must not say in progress.
        result.outcome = 'failed';
        const reason = describeError(error).split('\n')[0] ?? 'kubectl failed';
        await recorder.finish('failure', `${resolved.model} ${resolved.version}: ${reason}`);
        await this.recordEvent(resolved, result, reason).catch(() => undefined);
        throw error;
      }
      if (result.outcome === 'failed') {
        await recorder.finish(
          'failure',
          `${resolved.model} ${resolved.version}: ${result.failure?.message ?? 'failed'}${result.rolledBackTo ? `; rolled back to ${result.rolledBackTo}` : ''}`,
        );
      } else {
        this.deps.log(
          `ghml: ${resolved.model} ${resolved.version} is live in stage '${resolved.stage}'`,
        );
        const legacy = await this.legacyObjects(client, plan).catch(() => undefined);
        if (legacy !== undefined) {
          result.notes.push(legacy);
          this.deps.log(`ghml: ${legacy}`);
        }
        await recorder.finish('success', `${resolved.model} ${resolved.version} is live`);
      }
      result.notes.push(...recorder.notes);
      await this.recordEvent(resolved, result);
    } finally {
      try {
        await lock.release();
      } catch (error) {
        result.notes.push(
          `could not release the deploy lock ${lock.lease}: ${describeError(error)}`,
        );
      }
    }
    if (result.outcome === 'failed') throw new DeployFailedError(result);
    return result;
  }

  /**
   * A note when an earlier ghml left this model's objects under the name it used before names
   * were made injective (kube-names.ts): they are not touched, since clients may still call the
   * old Service; the note says how to remove them. Undefined when there are none.
   */
  private async legacyObjects(client: KubeClient, plan: DeployPlan): Promise<string | undefined> {
    const { model, stage } = plan.resolved;
    const legacy = legacyObjectName(model, stage);
    if (legacy === plan.values.name) return undefined;
    const found: string[] = [];
    for (const object of plan.objects) {
      const live = await client.get(object.apiVersion, object.kind, legacy);
      const annotations = record(record(live?.['metadata'])['annotations']);
      if (annotations[ANNOTATION.model] === model && annotations[ANNOTATION.stage] === stage) {
        found.push(typeRef(object.apiVersion, object.kind));
      }
    }
    if (found.length === 0) return undefined;
    const where = plan.target.namespace ? ` -n ${plan.target.namespace}` : '';
    return (
      `${model} at '${stage}' is now named '${plan.values.name}' (earlier ghml versions used '${legacy}', ` +
      `which another model could share); the old objects still run: point clients at the new ` +
      `name, then remove them with: kubectl delete ${found.join(',')} ${legacy}${where}`
    );
  }

  /** Applies the objects and awaits them; on a failed rollout collects why and rolls back. */
  private async rollOut(
    client: KubeClient,
    plan: DeployPlan,
    result: DeployResult,
    objects: readonly KubeObject[],
    liveBefore: readonly JsonObject[],
    previous: DeployedVersion | undefined,
    started: number,
    timeoutMs: number,
  ): Promise<void> {
    result.applied = await client.apply(formatManifests(objects));
    for (const line of result.applied) this.deps.log(`  ${line}`);

    const failure = await this.awaitAll(client, plan.workloads, started, timeoutMs);
    if (!failure) {
      result.outcome = 'succeeded';
      return;
    }
    const live = await client.get(failure.ref.apiVersion, failure.ref.kind, failure.ref.name);
    const report = await collectFailureReport(client, failure.ref, live);
    result.failure = {
      state: failure.state,
      workload: `${failure.ref.kind}/${failure.ref.name}`,
      message: failure.message,
      problems: report.problems,
      events: report.events,
    } satisfies DeployFailure;
    result.rolledBackTo = await this.rollBack(
      client,
      plan,
      liveBefore,
      previous,
      timeoutMs,
      result.notes,
    );
    result.outcome = 'failed';
  }

  private async awaitAll(
    client: KubeClient,
    workloads: readonly WorkloadRef[],
    started: number,
    timeoutMs: number,
  ): Promise<{ ref: WorkloadRef; state: 'failed' | 'timeout'; message: string } | undefined> {
    for (const ref of workloads) {
      const remaining = Math.max(1000, started + timeoutMs - this.now());
      this.deps.log(
        `ghml: waiting for ${ref.kind}/${ref.name} (up to ${Math.ceil(remaining / 1000)}s)`,
      );
      const outcome = await awaitRollout(client, ref, {
        timeoutMs: remaining,
        ...(this.deps.pollMs === undefined ? {} : { pollMs: this.deps.pollMs }),
        now: () => this.now(),
      });
      if (outcome.state !== 'ready') return { ref, state: outcome.state, message: outcome.message };
    }
    return undefined;
  }

  /**
   * Puts back what ran before: `rollout undo` for workloads kubectl can undo, and the previous
   * live copies of every other object (an InferenceService's previous spec). Returns what
   * runs afterwards, or null when there was nothing before (the failed objects stay, noted).
   */
  private async rollBack(
    client: KubeClient,
    plan: DeployPlan,
    liveBefore: readonly JsonObject[],
    previous: DeployedVersion | undefined,
    timeoutMs: number,
    notes: string[],
  ): Promise<string | null> {
    const primary = plan.workloads[0];
    if (primary === undefined || !liveBefore.some((l) => sameObject(l, primary))) {
      notes.push(
        'nothing to roll back to: this was the first deploy of this stage; the failed objects are left for inspection ' +
          `(remove them with: kubectl delete ${plan.objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`).join(' ')})`,
      );
      return null;
    }
    this.deps.log(`ghml: rolling back to ${previous?.version ?? 'the previous revision'}`);
    const reapply = liveBefore.filter((l) => !ROLLOUT_KINDS.has(String(l['kind']))).map(stripLive);
    if (reapply.length > 0) await client.apply(formatManifests(reapply as KubeObject[]));
    let ok = true;
    for (const ref of plan.workloads) {
      if (!liveBefore.some((l) => sameObject(l, ref))) continue;
      if (ROLLOUT_KINDS.has(ref.kind)) {
        const undo = await client.rolloutUndo(ref);
        if (!undo.ok) {
          ok = false;
          notes.push(`kubectl rollout undo ${ref.kind}/${ref.name} failed: ${undo.message}`);
          continue;
        }
      }
      const back = await awaitRollout(client, ref, {
        timeoutMs,
        ...(this.deps.pollMs === undefined ? {} : { pollMs: this.deps.pollMs }),
        now: () => this.now(),
      });
      if (back.state !== 'ready') {
        ok = false;
        notes.push(`the rollback of ${ref.kind}/${ref.name} did not become ready: ${back.message}`);
      }
    }
    const label = previous?.version ?? 'the previous revision';
    return ok ? label : `${label} (not ready, see notes)`;
  }

  private async recordEvent(
    resolved: ResolvedVersion,
    result: DeployResult,
    reason: string | null = result.failure?.message.split('\n')[0] ?? null,
  ): Promise<void> {
    if (!this.deps.events) return;
    if (resolved.runId === null) {
      result.notes.push(
        'deploy event not recorded on the tracking branch: the registration tag names no run',
      );
      return;
    }
    const event: DeployEvent = {
      kind: 'deploy',
      at: this.now(),
      action: result.action,
      model: result.model,
      version: result.version,
      stage: result.stage,
      outcome: result.outcome === 'failed' ? 'failed' : 'succeeded',
      rolledBackTo: result.rolledBackTo,
      previousVersion: result.previousVersion,
      namespace: result.namespace,
      context: result.context,
      githubDeploymentId: result.githubDeploymentId,
      reason,
    };
    const note = await this.deps.events.record(resolved.runId, event);
    if (note !== undefined) result.notes.push(note);
  }

  /** `ghml deploy status`: per stage, what the cluster runs next to what the registry says. */
  async status(request: {
    model: string;
    stage?: string;
    namespace?: string;
    context?: string;
  }): Promise<StageStatus[]> {
    const state = await this.deps.registry.list();
    const model = state.models.find((m) => m.name === request.model);
    const stages =
      request.stage !== undefined
        ? [request.stage]
        : [
            ...new Set([
              ...(model?.stages.filter((s) => s.current !== null).map((s) => s.stage) ?? []),
              ...Object.keys(this.deps.config.deploy).filter((k) => k !== '*'),
            ]),
          ].sort();
    const out: StageStatus[] = [];
    for (const stage of stages) {
      const holder = model?.stages.find((s) => s.stage === stage)?.current ?? null;
      const target = targetFor(this.deps.config, { ...request, stage });
      const row: StageStatus = {
        stage,
        registryVersion: holder?.version ?? null,
        clusterVersion: null,
        deployedAt: null,
        namespace: target.namespace,
        context: target.context,
        objects: [],
        state: 'unassigned',
        note: null,
      };
      try {
        const live = await this.findLive(request.model, stage, target);
        row.objects = live.map(
          (l) => `${String(l.object['kind'])}/${String(record(l.object['metadata'])['name'])}`,
        );
        const running = live.find((l) => l.deployed !== undefined)?.deployed;
        row.clusterVersion = running?.version ?? null;
        row.deployedAt = running?.deployedAt ?? null;
      } catch (error) {
        if (!(error instanceof ClusterUnreachableError || error instanceof UnknownContextError))
          throw error;
        row.state = 'unknown';
        row.note = describeError(error).split('\n')[0] ?? null;
        out.push(row);
        continue;
      }
      row.state =
        row.clusterVersion === null
          ? row.registryVersion === null
            ? 'unassigned'
            : 'not-deployed'
          : row.registryVersion === row.clusterVersion
            ? 'in-sync'
            : 'drift';
      out.push(row);
    }
    return out;
  }

  /** The live workloads of a model in a stage, found by ghml's labels, with what they run. */
  private async findLive(
    model: string,
    stage: string,
    target: ReturnType<typeof targetFor>,
  ): Promise<Array<{ object: JsonObject; deployed: DeployedVersion | undefined }>> {
    const client = new KubeClient(
      this.deps.kubectl({ context: target.context, namespace: target.namespace }),
    );
    const kinds = await this.workloadKinds(model, stage, target);
    const found: Array<{ object: JsonObject; deployed: DeployedVersion | undefined }> = [];
    for (const kind of kinds) {
      for (const object of await client.list(
        kind.apiVersion,
        kind.kind,
        stageSelector(model, stage),
      )) {
        const deployed = readDeployedVersion(object);
        // Labels are lossy; the annotations hold the exact names.
        if (deployed !== undefined && (deployed.model !== model || deployed.stage !== stage))
          continue;
        found.push({ object, deployed });
      }
    }
    return found;
  }

  /** The workload kinds a stage's templates make (rendered with stand-in values if needed). */
  private async workloadKinds(
    model: string,
    stage: string,
    target: ReturnType<typeof targetFor>,
  ): Promise<Array<{ apiVersion: string; kind: string }>> {
    const placeholder: ResolvedVersion = {
      model,
      version: 'v0.0.0',
      stage,
      commit: '0'.repeat(40),
      tag: `${model}@v0.0.0`,
      assignmentTag: null,
      stageVersion: null,
      runId: null,
      artifact: null,
      delivery: { source: 'none', artifact: null, file: 'model.bin', store: '', files: '' },
      metadata: null,
      reference: `${model}#${stage}`,
    };
    const plan = await renderPlan(placeholder, target, this.deps);
    const seen = new Map<string, { apiVersion: string; kind: string }>();
    for (const w of plan.workloads)
      seen.set(`${w.apiVersion}/${w.kind}`, { apiVersion: w.apiVersion, kind: w.kind });
    return [...seen.values()];
  }

  /** `ghml deploy rollback`: deploys the version that ran before the current one. */
  async rollback(request: {
    model: string;
    stage: string;
    namespace?: string;
    context?: string;
    timeoutMs: number;
  }): Promise<DeployResult> {
    const state = await this.deps.registry.list();
    const target = targetFor(this.deps.config, request);
    const live = await this.findLive(request.model, request.stage, target);
    const running = live.find((l) => l.deployed !== undefined)?.deployed;
    if (!running) {
      throw new NoPreviousDeploymentError(
        request.model,
        request.stage,
        'no deployed version was found in the cluster.',
      );
    }
    const previous = running.history.find((h) => h.version !== running.version);
    if (!previous) {
      throw new NoPreviousDeploymentError(
        request.model,
        request.stage,
        `${running.version} is the only version ghml has deployed there.`,
      );
    }
    this.deps.log(
      `ghml: rolling ${request.model} in stage '${request.stage}' back from ${running.version} to ${previous.version}`,
    );
    let plan = await this.planFrom(state, { ...request, version: previous.version });
    if (deployabilityProblems(plan).length > 0 && this.deps.modelcars !== undefined) {
      // A version served from a modelcar (it has no release): its image is still in the store.
      const image = await this.deps.modelcars.existing(plan.resolved);
      if (image !== undefined) {
        const again = await renderPlan(
          withModelcar(plan.resolved, image.reference, image.digest),
          plan.target,
          this.deps,
        );
        if (deployabilityProblems(again).length === 0) plan = again;
      }
    }
    assertDeployable(plan);
    const result = resultBase(plan, 'rollback');
    if (plan.resolved.stageVersion !== previous.version) {
      result.notes.push(
        `the registry still assigns '${request.stage}' to ${plan.resolved.stageVersion ?? 'no version'}, so ` +
          `ghml deploy status shows drift until you promote ${previous.version}: ` +
          `ghml model promote ${request.model} ${previous.version} ${request.stage}`,
      );
    }
    return this.apply(plan, result, request.timeoutMs);
  }
}

/** One row of `ghml deploy status`. */
export interface StageStatus {
  stage: string;
  /** What the registry assigns to the stage. */
  registryVersion: string | null;
  /** What the cluster runs (from the live objects' annotations). */
  clusterVersion: string | null;
  deployedAt: string | null;
  namespace: string | null;
  context: string | null;
  /** The live objects found, e.g. 'Deployment/iris-prod'. */
  objects: string[];
  /** in-sync; drift (cluster ≠ registry); not-deployed; unassigned; unknown (cluster unreachable). */
  state: 'in-sync' | 'drift' | 'not-deployed' | 'unassigned' | 'unknown';
  note: string | null;
}
