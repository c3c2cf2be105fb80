/**
 * The stand-in's controllers, enough for kubectl's rollout commands and ghml's failure reports:
 * - Deployments get ReplicaSets (one per pod template, with `pod-template-hash` and the
 *   `deployment.kubernetes.io/revision` annotation, annotations copied from the Deployment as
 *   the real controller does, so `kubectl rollout undo` can find and restore them), pods, and a
 *   status that `kubectl rollout status` reads.
 * - InferenceServices get a Ready condition, `modelStatus` and a predictor pod.
 * What happens is decided per rollout by a scenario function: ready, never ready (pods stay
 * Pending), or failing (ImagePullBackOff / CrashLoopBackOff, with the kubelet's events and the
 * Deployment's `ProgressDeadlineExceeded`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { resourceForKind, type ApiResource } from './api-resources.js';
import { metaOf, type ObjectStore, type StoreEvent } from './object-store.js';
import { clone, isObject, type Json, type JsonObject } from './patches.js';

/** How a rollout goes. */
export type RolloutScenario = 'ready' | 'never-ready' | 'image-pull-backoff' | 'crash-loop';

/** What a scenario function sees of the workload being rolled out. */
export interface RolloutSubject {
  kind: 'Deployment' | 'InferenceService';
  namespace: string;
  name: string;
  /** Annotations of the pod template (Deployment) or of the object (InferenceService). */
  annotations: Record<string, string>;
  /** Container images of the pod template; empty for an InferenceService. */
  images: string[];
}

export type ScenarioFunction = (subject: RolloutSubject) => RolloutScenario;

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';
// Annotations the deployment controller does not copy to ReplicaSets (and kubectl keeps on undo).
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function must(apiVersion: string, kind: string): ApiResource {
  const found = resourceForKind(apiVersion, kind);
  if (!found) throw new Error(`stand-in does not serve ${apiVersion} ${kind}`);
  return found;
}

const R = {
  deployment: must('apps/v1', 'Deployment'),
  replicaSet: must('apps/v1', 'ReplicaSet'),
  pod: must('v1', 'Pod'),
  event: must('v1', 'Event'),
  isvc: must('serving.kserve.io/v1beta1', 'InferenceService'),
};

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function obj(value: Json | undefined): JsonObject {
  return isObject(value) ? value : {};
}

function strings(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(obj(value))) if (typeof v === 'string') out[key] = v;
  return out;
}

/** The template without the hash label, as a stable string. */
function templateKey(template: JsonObject): string {
  const copy = clone(template);
  const meta = obj(copy['metadata']);
  const labels = strings(meta['labels']);
  delete labels[HASH_LABEL];
  meta['labels'] = labels;
  copy['metadata'] = meta;
  return stableStringify(copy);
}

function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function images(template: JsonObject): string[] {
  const containers = obj(template['spec'])['containers'];
  return Array.isArray(containers)
    ? containers.map((c) => String(obj(c)['image'] ?? '')).filter((i) => i !== '')
    : [];
}

export class WorkloadController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly scenario: () => ScenarioFunction,
    private readonly stepMs: () => number,
  ) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    if (event.type === 'DELETED') return;
    const meta = metaOf(event.object);
    const observed = Number(obj(event.object['status'])['observedGeneration'] ?? 0);
    if (observed >= meta.generation) return;
    if (event.resource === R.deployment || event.resource === R.isvc) {
      const resource = event.resource;
      // Later, as a controller would: kubectl first sees the spec not yet observed.
      this.later(() => {
        const live = this.store.get(resource, meta.namespace, meta.name);
        if (!live || metaOf(live).generation !== meta.generation) return;
        if (resource === R.deployment) this.reconcileDeployment(live);
        else this.reconcileInferenceService(live);
      });
    }
  }

  private later(action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, this.stepMs());
    this.timers.add(timer);
  }

  private reconcileDeployment(deployment: JsonObject): void {
    const meta = metaOf(deployment);
    const namespace = meta.namespace ?? 'default';
    const spec = obj(deployment['spec']);
    const template = obj(spec['template']);
    const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const key = templateKey(template);
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);

    const owned = this.store
      .list(R.replicaSet, namespace)
      .filter((rs) =>
        (
          metaOf(rs) as unknown as { ownerReferences?: Array<{ uid: string }> }
        ).ownerReferences?.some((o) => o.uid === meta.uid),
      );
    const maxRevision = Math.max(
      0,
      ...owned.map((rs) => Number(metaOf(rs).annotations?.[REVISION] ?? 0)),
    );
    let current = owned.find((rs) => templateKey(obj(obj(rs['spec'])['template'])) === key);
    const copied: Record<string, string> = {};
    for (const [k, v] of Object.entries(meta.annotations ?? {}))
      if (!NOT_COPIED.has(k)) copied[k] = v;
    let revision: number;
    if (current) {
      const currentRevision = Number(metaOf(current).annotations?.[REVISION] ?? 0);
      revision = currentRevision === maxRevision ? currentRevision : maxRevision + 1;
      const rsMeta = metaOf(current);
      rsMeta.annotations = { ...copied, [REVISION]: String(revision) };
      current = this.store.update(R.replicaSet, current);
    } else {
      revision = maxRevision + 1;
      const labels = { ...strings(obj(template['metadata'])['labels']), [HASH_LABEL]: hash };
      const selector = obj(spec['selector']);
      current = this.store.create(R.replicaSet, {
        metadata: {
          name: `${meta.name}-${hash}`,
          namespace,
          labels,
          annotations: { ...copied, [REVISION]: String(revision) },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: meta.name,
              uid: meta.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          replicas,
          selector: {
            ...selector,
            matchLabels: { ...strings(selector['matchLabels']), [HASH_LABEL]: hash },
          },
          template: {
            ...template,
            metadata: { ...obj(template['metadata']), labels },
          },
        },
      });
    }

    const scenario = this.scenario()({
      kind: 'Deployment',
      namespace,
      name: meta.name,
      annotations: strings(obj(template['metadata'])['annotations']),
      images: images(template),
    });
    const rsMeta = metaOf(current);
    const others = owned.filter((rs) => metaOf(rs).uid !== rsMeta.uid);
    const oldPods = others.flatMap((rs) => this.podsOf(namespace, metaOf(rs).uid));
    this.replacePods(namespace, current, scenario, 'Pod');
    if (scenario === 'ready')
      for (const pod of oldPods) this.store.delete(R.pod, namespace, metaOf(pod).name);

    const ready = scenario === 'ready' ? replicas : 0;
    const oldAvailable = scenario === 'ready' ? 0 : oldPods.length;
    const transition = now();
    const conditions: JsonObject[] = [
      {
        type: 'Available',
        status: ready + oldAvailable > 0 ? 'True' : 'False',
        reason:
          ready + oldAvailable > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: 'Deployment has minimum availability.',
        lastUpdateTime: transition,
        lastTransitionTime: transition,
      },
      scenario === 'ready'
        ? progressing(
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${rsMeta.name}" has successfully progressed.`,
          )
        : scenario === 'never-ready'
          ? progressing('True', 'ReplicaSetUpdated', `ReplicaSet "${rsMeta.name}" is progressing.`)
          : progressing(
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${rsMeta.name}" has timed out progressing.`,
            ),
    ];
    const live = this.store.get(R.deployment, namespace, meta.name);
    if (!live || metaOf(live).generation !== meta.generation) return;
    const liveMeta = metaOf(live);
    liveMeta.annotations = { ...(liveMeta.annotations ?? {}), [REVISION]: String(revision) };
    live['status'] = {
      observedGeneration: meta.generation,
      replicas: replicas + oldAvailable,
      updatedReplicas: replicas,
      readyReplicas: ready + oldAvailable,
      availableReplicas: ready + oldAvailable,
      ...(ready < replicas ? { unavailableReplicas: replicas - ready } : {}),
      conditions,
    };
    this.store.update(R.deployment, live);
  }

  private reconcileInferenceService(isvc: JsonObject): void {
    const meta = metaOf(isvc);
    const namespace = meta.namespace ?? 'default';
    const scenario = this.scenario()({
      kind: 'InferenceService',
      namespace,
      name: meta.name,
      annotations: { ...(meta.annotations ?? {}) },
      images: [],
    });
    const owner = { ...isvc, metadata: { ...obj(isvc['metadata']) } };
    this.replacePods(namespace, owner, scenario, 'InferenceService');
    const transition = now();
    const condition = (
      type: string,
      status: string,
      reason?: string,
      message?: string,
    ): JsonObject => ({
      type,
      status,
      lastTransitionTime: transition,
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined ? {} : { message }),
    });
    const failed = scenario === 'crash-loop' || scenario === 'image-pull-backoff';
    const status: JsonObject =
      scenario === 'ready'
        ? {
            conditions: [
              condition('IngressReady', 'True'),
              condition('PredictorReady', 'True'),
              condition('Ready', 'True'),
            ],
            url: `http://${meta.name}.${namespace}.example.com`,
            modelStatus: {
              states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
              transitionStatus: 'UpToDate',
              copies: { failedCopies: 0, totalCopies: 1 },
            },
          }
        : {
            conditions: [
              condition(
                'PredictorReady',
                failed ? 'False' : 'Unknown',
                failed ? 'RevisionFailed' : 'RevisionMissing',
              ),
              condition(
                'Ready',
                failed ? 'False' : 'Unknown',
                failed ? 'RevisionFailed' : 'RevisionMissing',
              ),
            ],
            modelStatus: failed
              ? {
                  states: { activeModelState: '', targetModelState: 'FailedToLoad' },
                  transitionStatus: 'BlockedByFailedLoad',
                  lastFailureInfo: {
                    reason: 'ModelLoadFailed',
                    message:
                      scenario === 'crash-loop'
                        ? 'container kserve-container exited with code 1'
                        : 'failed to pull the serving runtime image',
                  },
                  copies: { failedCopies: 1 },
                }
              : {
                  states: { activeModelState: 'Pending', targetModelState: 'Pending' },
                  transitionStatus: 'InProgress',
                  copies: { failedCopies: 0 },
                },
          };
    const live = this.store.get(R.isvc, namespace, meta.name);
    if (!live || metaOf(live).generation !== meta.generation) return;
    live['status'] = { observedGeneration: meta.generation, ...status };
    this.store.update(R.isvc, live);
  }

  private podsOf(namespace: string, ownerUid: string): JsonObject[] {
    return this.store
      .list(R.pod, namespace)
      .filter((pod) =>
        (
          metaOf(pod) as unknown as { ownerReferences?: Array<{ uid: string }> }
        ).ownerReferences?.some((o) => o.uid === ownerUid),
      );
  }

  /** One pod for the owner in the scenario's state, with the kubelet's events. */
  private replacePods(
    namespace: string,
    owner: JsonObject,
    scenario: RolloutScenario,
    ownerKind: 'Pod' | 'InferenceService',
  ): void {
    const ownerMeta = metaOf(owner);
    for (const pod of this.podsOf(namespace, ownerMeta.uid))
      this.store.delete(R.pod, namespace, metaOf(pod).name);
    const isvc = ownerKind === 'InferenceService';
    const template = isvc ? {} : obj(obj(owner['spec'])['template']);
    const podName = `${isvc ? `${ownerMeta.name}-predictor` : ownerMeta.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const image = images(template)[0] ?? 'kserve/sklearnserver:latest';
    const labels = isvc
      ? { 'serving.kserve.io/inferenceservice': ownerMeta.name, component: 'predictor' }
      : strings(obj(template['metadata'])['labels']);
    const waiting: Record<RolloutScenario, JsonObject | undefined> = {
      ready: undefined,
      'never-ready': undefined,
      'image-pull-backoff': {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}"`,
      },
      'crash-loop': {
        reason: 'CrashLoopBackOff',
        message: `back-off 40s restarting failed container=main pod=${podName}`,
      },
    };
    const pod = this.store.create(R.pod, {
      metadata: {
        name: podName,
        namespace,
        labels,
        ownerReferences: [
          {
            apiVersion: String(owner['apiVersion']),
            kind: String(owner['kind']),
            name: ownerMeta.name,
            uid: ownerMeta.uid,
            controller: true,
          },
        ],
      },
      spec: isvc ? { containers: [{ name: 'kserve-container', image }] } : obj(template['spec']),
      status: {
        phase: scenario === 'ready' || scenario === 'crash-loop' ? 'Running' : 'Pending',
        conditions: [
          scenario === 'never-ready'
            ? { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }
            : { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: scenario === 'ready' ? 'True' : 'False' },
        ],
        ...(scenario === 'never-ready'
          ? {}
          : {
              containerStatuses: [
                {
                  name: isvc
                    ? 'kserve-container'
                    : String(
                        obj(((obj(template['spec'])['containers'] as Json[] | undefined) ?? [])[0])[
                          'name'
                        ] ?? 'main',
                      ),
                  image,
                  ready: scenario === 'ready',
                  restartCount: scenario === 'crash-loop' ? 4 : 0,
                  state:
                    waiting[scenario] === undefined
                      ? { running: { startedAt: now() } }
                      : { waiting: waiting[scenario] ?? {} },
                },
              ],
            }),
      },
    });
    const events: Array<[string, string, string]> =
      scenario === 'ready'
        ? [['Normal', 'Started', 'Started container']]
        : scenario === 'never-ready'
          ? [
              [
                'Warning',
                'FailedScheduling',
                '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
              ],
            ]
          : scenario === 'image-pull-backoff'
            ? [
                [
                  'Warning',
                  'Failed',
                  `Failed to pull image "${image}": rpc error: code = NotFound desc = manifest unknown`,
                ],
                ['Warning', 'Failed', 'Error: ErrImagePull'],
                ['Warning', 'BackOff', `Back-off pulling image "${image}"`],
              ]
            : [
                ['Normal', 'Started', 'Started container'],
                ['Warning', 'BackOff', 'Back-off restarting failed container'],
              ];
    const podMeta = metaOf(pod);
    for (const [type, reason, message] of events) {
      this.store.create(R.event, {
        metadata: { name: `${podName}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: podName,
          namespace,
          uid: podMeta.uid,
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now(),
        lastTimestamp: now(),
        source: { component: reason === 'FailedScheduling' ? 'default-scheduler' : 'kubelet' },
      });
    }
  }
}

function progressing(status: string, reason: string, message: string): JsonObject {
  const at = now();
  return {
    type: 'Progressing',
    status,
    reason,
    message,
    lastUpdateTime: at,
    lastTransitionTime: at,
  };
}
