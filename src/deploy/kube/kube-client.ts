/**
 * The kubectl calls a deploy makes, over the Kubectl door: server-side apply, reading live
 * objects, rollout status/undo, pods and events. Everything is read as JSON (`-o json`).
 */
import { KubectlError } from '../deploy-errors.js';
import { classifyFailure, type Kubectl, type KubectlResult } from './kubectl-runner.js';

export type JsonObject = Record<string, unknown>;

/** A workload whose rollout ghml waits for. */
export interface WorkloadRef {
  apiVersion: string;
  kind: string;
  name: string;
}

/** Kinds whose rollout `kubectl rollout status` can await and `rollout undo` can revert. */
export const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
/** Kinds ghml awaits at all. */
export const WORKLOAD_KINDS = new Set([...ROLLOUT_KINDS, 'InferenceService']);

/** kubectl's name for a kind: 'deployment.apps', 'service', 'inferenceservice.serving.kserve.io'. */
export function typeRef(apiVersion: string, kind: string): string {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return group === '' ? kind.toLowerCase() : `${kind.toLowerCase()}.${group}`;
}

export function objectRef(object: WorkloadRef): string {
  return `${typeRef(object.apiVersion, object.kind)}/${object.name}`;
}

/** What `rollout status` / `rollout undo` said. */
export interface CommandOutcome {
  ok: boolean;
  /** kubectl's last line of output or error. */
  message: string;
  result: KubectlResult;
}

const NO_KIND = /no matches for kind "([^"]+)"|the server doesn't have a resource type "([^"]+)"/;
const MAX_KILL_SLACK_MS = 30_000;

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string, args: readonly string[]): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KubectlError(
      args,
      0,
      `kubectl printed output that is not JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** Items of a List, or the single object kubectl printed. */
function itemsOf(value: unknown): JsonObject[] {
  if (!isRecord(value)) return [];
  if (Array.isArray(value['items'])) return value['items'].filter(isRecord);
  return [value];
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? ''
  ).replace(/^error:\s*/i, '');
}

export class KubeClient {
  constructor(readonly kubectl: Kubectl) {}

  private async run(args: string[], input?: string): Promise<string> {
    const result = await this.kubectl.tryRun(args, input === undefined ? {} : { input });
    if (result.status === 0) return result.stdout;
    const error = classifyFailure(args, result, this.kubectl.context);
    const kind = NO_KIND.exec(result.stderr);
    if (error instanceof KubectlError && kind) {
      const missing = kind[1] ?? kind[2] ?? '';
      throw new KubectlError(
        args,
        result.status,
        error.stderr,
        `The cluster does not serve '${missing}'. For InferenceService install KServe, or deploy with templates: deployment.`,
      );
    }
    throw error;
  }

  /** Server-side apply of a YAML stream; returns kubectl's lines ('deployment.apps/x serverside-applied'). */
  async apply(manifests: string): Promise<string[]> {
    const out = await this.run(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=ghml', '-f', '-'],
      manifests,
    );
    return out.split('\n').filter((l) => l.trim() !== '');
  }

  /** The live copies of the objects in a YAML stream (those that exist). */
  async getLive(manifests: string): Promise<JsonObject[]> {
    const args = ['get', '-f', '-', '-o', 'json', '--ignore-not-found'];
    return itemsOf(parseJson(await this.run(args, manifests), args));
  }

  async get(apiVersion: string, kind: string, name: string): Promise<JsonObject | undefined> {
    const args = [
      'get',
      `${typeRef(apiVersion, kind)}/${name}`,
      '-o',
      'json',
      '--ignore-not-found',
    ];
    return itemsOf(parseJson(await this.run(args), args))[0];
  }

  async list(apiVersion: string, kind: string, selector: string): Promise<JsonObject[]> {
    const args = ['get', typeRef(apiVersion, kind), '-l', selector, '-o', 'json'];
    return itemsOf(parseJson(await this.run(args), args));
  }

  async pods(selector: string): Promise<JsonObject[]> {
    return this.list('v1', 'Pod', selector);
  }

  async events(): Promise<JsonObject[]> {
    const args = ['get', 'events', '-o', 'json'];
    return itemsOf(parseJson(await this.run(args), args));
  }

  async create(manifest: string): Promise<{ ok: true } | { ok: false; stderr: string }> {
    const args = ['create', '-f', '-', '-o', 'json'];
    const result = await this.kubectl.tryRun(args, { input: manifest });
    if (result.status === 0) return { ok: true };
    if (/AlreadyExists|already exists/.test(result.stderr))
      return { ok: false, stderr: result.stderr };
    throw classifyFailure(args, result, this.kubectl.context);
  }

  /** Replace with the manifest's resourceVersion: false when someone changed the object meanwhile. */
  async replace(manifest: string): Promise<boolean> {
    const args = ['replace', '-f', '-', '-o', 'json'];
    const result = await this.kubectl.tryRun(args, { input: manifest });
    if (result.status === 0) return true;
    if (/Conflict|the object has been modified|not found|NotFound/.test(result.stderr))
      return false;
    throw classifyFailure(args, result, this.kubectl.context);
  }

  async delete(apiVersion: string, kind: string, name: string): Promise<void> {
    await this.run([
      'delete',
      `${typeRef(apiVersion, kind)}/${name}`,
      '--ignore-not-found',
      '--wait=false',
    ]);
  }

  /** `kubectl rollout status` with a timeout. */
  async rolloutStatus(workload: WorkloadRef, timeoutSeconds: number): Promise<CommandOutcome> {
    const args = ['rollout', 'status', objectRef(workload), `--timeout=${timeoutSeconds}s`];
    const result = await this.kubectl.tryRun(args, {
      killAfterMs: timeoutSeconds * 1000 + MAX_KILL_SLACK_MS,
    });
    return this.outcome(args, result);
  }

  /** `kubectl rollout undo` to the previous revision. */
  async rolloutUndo(workload: WorkloadRef): Promise<CommandOutcome> {
    const args = ['rollout', 'undo', objectRef(workload)];
    return this.outcome(args, await this.kubectl.tryRun(args));
  }

  private outcome(args: string[], result: KubectlResult): CommandOutcome {
    if (result.status === 0) return { ok: true, message: lastLine(result.stdout), result };
    const error = classifyFailure(args, result, this.kubectl.context);
    // Unreachable clusters and unknown contexts are not rollout outcomes.
    if (!(error instanceof KubectlError)) throw error;
    return { ok: false, message: lastLine(result.stderr), result };
  }
}
