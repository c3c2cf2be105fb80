/**
 * One deploy per model and stage at a time, detected by the CLI itself (workflows also
 * serialise with the concurrency group `ghml-deploy-<model>-<stage>`). The lock is a
 * Kubernetes Lease `ghml-deploy-<model>-<stage>` in the target namespace:
 * - acquire = `kubectl create` (the API server refuses a second create: AlreadyExists);
 * - a Lease past `renewTime + leaseDurationSeconds` was left by a crashed deploy and is taken
 *   over with `kubectl replace` carrying its resourceVersion (a compare-and-swap: 409 if
 *   someone else took it first);
 * - release = delete, only while the Lease still names this holder.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { stringify } from 'yaml';
import { DeployLockedError } from '../deploy-errors.js';
import type { JsonObject, KubeClient } from './kube-client.js';
import { LABEL } from '../manifests/deploy-labels.js';
import { leaseName, toLabelValue } from './kube-names.js';

const LEASE_API = 'coordination.k8s.io/v1';

export interface DeployLock {
  readonly lease: string;
  readonly holder: string;
  release(): Promise<void>;
}

export interface LockOptions {
  model: string;
  stage: string;
  /** How long the lock lasts if never released (the deploy's timeout plus slack). */
  durationSeconds: number;
  /** Who holds it: e.g. 'github-actions run 123' or 'user@host'. */
  holder?: string;
  now?: () => number;
}

/** The Lease name for a model and stage. */
export function lockName(model: string, stage: string): string {
  return leaseName(model, stage);
}

/** kubectl's MicroTime format: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

export function defaultHolder(env: NodeJS.ProcessEnv): string {
  const suffix = randomBytes(4).toString('hex');
  if (env['GITHUB_RUN_ID']) {
    return `github-actions ${env['GITHUB_REPOSITORY'] ?? ''} run ${env['GITHUB_RUN_ID']}/${env['GITHUB_RUN_ATTEMPT'] ?? '1'} ${suffix}`.trim();
  }
  return `${env['USER'] ?? 'ghml'}@${hostname()} pid ${process.pid} ${suffix}`;
}

export async function acquireDeployLock(
  client: KubeClient,
  options: LockOptions,
): Promise<DeployLock> {
  const now = options.now ?? Date.now;
  const lease = lockName(options.model, options.stage);
  const holder = options.holder ?? `ghml ${randomBytes(6).toString('hex')}`;
  const manifest = (resourceVersion?: string): string => {
    const at = microTime(now());
    return stringify({
      apiVersion: LEASE_API,
      kind: 'Lease',
      metadata: {
        name: lease,
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
        labels: {
          [LABEL.managedBy]: 'ghml',
          [LABEL.model]: toLabelValue(options.model),
          [LABEL.stage]: toLabelValue(options.stage),
        },
      },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: Math.max(1, Math.ceil(options.durationSeconds)),
        acquireTime: at,
        renewTime: at,
      },
    });
  };

  const created = await client.create(manifest());
  if (!created.ok) {
    const live = await client.get(LEASE_API, 'Lease', lease);
    const spec = record(live?.['spec']);
    const current = typeof spec['holderIdentity'] === 'string' ? spec['holderIdentity'] : 'unknown';
    const renewed = Date.parse(String(spec['renewTime'] ?? spec['acquireTime'] ?? ''));
    const duration = Number(spec['leaseDurationSeconds'] ?? 0);
    const expired =
      live === undefined || (Number.isFinite(renewed) && renewed + duration * 1000 < now());
    const resourceVersion = record(live?.['metadata'])['resourceVersion'];
    const takenOver =
      expired &&
      (live === undefined
        ? (await client.create(manifest())).ok
        : await client.replace(manifest(String(resourceVersion))));
    if (!takenOver) {
      const since = typeof spec['acquireTime'] === 'string' ? spec['acquireTime'] : undefined;
      throw new DeployLockedError(lease, current, since);
    }
  }

  return {
    lease,
    holder,
    async release() {
      const live = await client.get(LEASE_API, 'Lease', lease);
      if (record(live?.['spec'])['holderIdentity'] !== holder) return;
      await client.delete(LEASE_API, 'Lease', lease);
    },
  };
}
