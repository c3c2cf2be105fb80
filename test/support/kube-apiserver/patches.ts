/**
 * The patch formats kubectl sends: JSON patch (`rollout undo`), JSON merge patch, strategic
 * merge patch (treated as a merge patch, enough for the fields kubectl patches here) and
 * server-side apply, which the stand-in approximates as "the applied configuration owns
 * labels, annotations, spec and data; the server keeps status and its own metadata".
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 7386. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** RFC 6902 (add, remove, replace, test); throws on a bad path. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new Error('a JSON patch must be an array');
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op['path'] !== 'string' || typeof op['op'] !== 'string') {
      throw new Error('bad JSON patch operation');
    }
    const parts = op['path'].split('/').slice(1).map(unescapePointer);
    if (parts.length === 0) {
      doc = clone(op['value'] ?? null);
      continue;
    }
    let parent: Json = doc;
    for (const part of parts.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(part)]
        : isObject(parent)
          ? parent[part]
          : undefined;
      if (next === undefined) throw new Error(`path '${op['path']}' does not exist`);
      parent = next;
    }
    const last = parts[parts.length - 1] ?? '';
    if (!isObject(parent) && !Array.isArray(parent)) {
      throw new Error(`path '${op['path']}' does not exist`);
    }
    switch (op['op']) {
      case 'add':
      case 'replace':
        if (Array.isArray(parent)) {
          const index = last === '-' ? parent.length : Number(last);
          if (op['op'] === 'add') parent.splice(index, 0, clone(op['value'] ?? null));
          else parent[index] = clone(op['value'] ?? null);
        } else {
          if (op['op'] === 'replace' && !(last in parent)) {
            throw new Error(`path '${op['path']}' does not exist`);
          }
          parent[last] = clone(op['value'] ?? null);
        }
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      case 'test': {
        const current = Array.isArray(parent) ? parent[Number(last)] : parent[last];
        if (JSON.stringify(current) !== JSON.stringify(op['value'])) {
          throw new Error(`test failed at '${op['path']}'`);
        }
        break;
      }
      default:
        throw new Error(`unsupported JSON patch op '${String(op['op'])}'`);
    }
  }
  return doc;
}

/** Annotations the server owns; an apply never removes them. */
const SERVER_ANNOTATION = /^deployment\.kubernetes\.io\//;

/**
 * Server-side apply, simplified: the applied object's labels, annotations and top-level
 * fields other than metadata and status replace the live ones.
 */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject): JsonObject {
  if (live === undefined) return clone(applied);
  const result = clone(live);
  const liveMeta = isObject(live['metadata']) ? live['metadata'] : {};
  const appliedMeta = isObject(applied['metadata']) ? applied['metadata'] : {};
  const meta: JsonObject = clone(liveMeta);
  meta['labels'] = clone(appliedMeta['labels'] ?? {});
  const kept: JsonObject = {};
  const liveAnnotations = isObject(liveMeta['annotations']) ? liveMeta['annotations'] : {};
  for (const [key, value] of Object.entries(liveAnnotations)) {
    if (SERVER_ANNOTATION.test(key)) kept[key] = value;
  }
  meta['annotations'] = {
    ...kept,
    ...(isObject(appliedMeta['annotations']) ? clone(appliedMeta['annotations']) : {}),
  };
  result['metadata'] = meta;
  for (const [key, value] of Object.entries(applied)) {
    if (key === 'metadata' || key === 'status' || key === 'apiVersion' || key === 'kind') continue;
    result[key] = clone(value);
  }
  for (const key of Object.keys(live)) {
    if (!(key in applied) && !['metadata', 'status', 'apiVersion', 'kind'].includes(key)) {
      delete result[key];
    }
  }
  return result;
}
