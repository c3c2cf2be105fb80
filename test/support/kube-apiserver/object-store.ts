/**
 * The stand-in's storage: objects per resource type, one global resourceVersion counter, and a
 * log of changes that watches replay from a resourceVersion and then follow.
 */
import { randomUUID } from 'node:crypto';
import { groupVersion, type ApiResource } from './api-resources.js';
import { clone, isObject, type JsonObject } from './patches.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as a watch reports it. */
export interface StoreEvent {
  type: WatchEventType;
  resource: ApiResource;
  object: JsonObject;
  resourceVersion: number;
}

/** `metadata` of a stored object, with the fields the server always sets. */
export interface StoredMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function metaOf(object: JsonObject): StoredMeta {
  return object['metadata'] as unknown as StoredMeta;
}

/** Everything but metadata and status: a change here bumps `metadata.generation`. */
function specPart(object: JsonObject): string {
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'metadata' && key !== 'status') rest[key] = value;
  }
  return JSON.stringify(rest);
}

const MAX_LOG = 5000;

export class ObjectStore {
  private version = 1;
  private readonly objects = new Map<string, JsonObject>();
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  get resourceVersion(): number {
    return this.version;
  }

  private key(resource: ApiResource, namespace: string | undefined, name: string): string {
    return `${groupVersion(resource)}/${resource.resource}/${namespace ?? ''}/${name}`;
  }

  get(resource: ApiResource, namespace: string | undefined, name: string): JsonObject | undefined {
    const found = this.objects.get(this.key(resource, namespace, name));
    return found === undefined ? undefined : clone(found);
  }

  list(resource: ApiResource, namespace?: string): JsonObject[] {
    const prefix = `${groupVersion(resource)}/${resource.resource}/`;
    const items: JsonObject[] = [];
    for (const [key, object] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (namespace !== undefined && metaOf(object).namespace !== namespace) continue;
      items.push(clone(object));
    }
    return items.sort((a, b) => (metaOf(a).name < metaOf(b).name ? -1 : 1));
  }

  /** Stores a new object; the caller checked that it does not exist. */
  create(resource: ApiResource, input: JsonObject): JsonObject {
    const object = clone(input);
    object['apiVersion'] = groupVersion(resource);
    object['kind'] = resource.kind;
    const meta = isObject(object['metadata']) ? object['metadata'] : {};
    object['metadata'] = meta;
    meta['uid'] = randomUUID();
    meta['creationTimestamp'] = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta['generation'] = 1;
    if (!resource.namespaced) delete meta['namespace'];
    delete meta['managedFields'];
    return this.commit(resource, object, 'ADDED');
  }

  /** Replaces a stored object, keeping what the server owns and bumping generation on change. */
  update(resource: ApiResource, input: JsonObject): JsonObject {
    const meta = metaOf(input);
    const live = this.objects.get(this.key(resource, meta.namespace, meta.name));
    if (live === undefined) throw new Error(`no ${resource.resource} '${meta.name}'`);
    const liveMeta = metaOf(live);
    const object = clone(input);
    object['apiVersion'] = groupVersion(resource);
    object['kind'] = resource.kind;
    const next = object['metadata'] as unknown as StoredMeta;
    next.uid = liveMeta.uid;
    next.creationTimestamp = liveMeta.creationTimestamp;
    next.generation = liveMeta.generation + (specPart(live) === specPart(object) ? 0 : 1);
    if (object['status'] === undefined && live['status'] !== undefined) {
      object['status'] = clone(live['status']);
    }
    return this.commit(resource, object, 'MODIFIED');
  }

  delete(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
  ): JsonObject | undefined {
    const key = this.key(resource, namespace, name);
    const live = this.objects.get(key);
    if (live === undefined) return undefined;
    this.objects.delete(key);
    this.version++;
    const object = clone(live);
    (object['metadata'] as unknown as StoredMeta).resourceVersion = String(this.version);
    this.emit({ type: 'DELETED', resource, object, resourceVersion: this.version });
    return object;
  }

  /** Changes after `resourceVersion`, oldest first. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    return this.log.filter((e) => e.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(resource: ApiResource, object: JsonObject, type: WatchEventType): JsonObject {
    this.version++;
    const meta = object['metadata'] as unknown as StoredMeta;
    meta.resourceVersion = String(this.version);
    this.objects.set(this.key(resource, meta.namespace, meta.name), object);
    this.emit({ type, resource, object: clone(object), resourceVersion: this.version });
    return clone(object);
  }

  private emit(event: StoreEvent): void {
    this.log.push(event);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    for (const listener of this.listeners) listener(event);
  }
}
