/**
 * Builds the smallest value a (dereferenced) OpenAPI schema accepts: every required property
 * with a neutral value. GitHub objects have dozens of required fields the emulator has no
 * opinion about (e.g. a repository's 40 `*_url`s); routes merge the fields that matter on top.
 */
import type { SchemaObject } from './openapi-spec.js';

const SAMPLE_DATE = '2020-01-01T00:00:00Z';

/** A neutral sample of `schema`; URLs point at `placeholderUrl`. Depth-bounded. */
export function sampleOf(schema: unknown, placeholderUrl: string, depth = 0): unknown {
  if (depth > 40 || schema === null || typeof schema !== 'object') return null;
  const s = schema as SchemaObject;
  if (s['nullable'] === true) return null;
  if (Array.isArray(s['allOf'])) {
    return s['allOf'].reduce<unknown>(
      (acc, part) => deepMerge(acc, sampleOf(part, placeholderUrl, depth + 1)),
      {},
    );
  }
  const choices = (s['anyOf'] ?? s['oneOf']) as unknown[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) {
    return sampleOf(choices[0], placeholderUrl, depth + 1);
  }
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  if (s['default'] !== undefined) return s['default'];
  const type = s['type'] ?? (s['properties'] === undefined ? undefined : 'object');
  switch (type) {
    case 'object': {
      const properties = (s['properties'] ?? {}) as Record<string, unknown>;
      const required = (s['required'] ?? []) as string[];
      const out: Record<string, unknown> = {};
      for (const name of required) {
        out[name] = sampleOf(properties[name] ?? {}, placeholderUrl, depth + 1);
      }
      return out;
    }
    case 'array': {
      const count = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
      return Array.from({ length: count }, () => sampleOf(s['items'], placeholderUrl, depth + 1));
    }
    case 'string':
      switch (s['format']) {
        case 'date-time':
          return SAMPLE_DATE;
        case 'uri':
          return placeholderUrl;
        case 'email':
          return 'noreply@example.com';
        default:
          return '';
      }
    case 'integer':
    case 'number':
      return typeof s['minimum'] === 'number' ? s['minimum'] : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges `override` into `base`: objects recursively, anything else replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}
