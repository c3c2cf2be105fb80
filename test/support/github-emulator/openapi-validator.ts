/**
 * Checks requests and responses against the OpenAPI subset with ajv. GitHub's description is
 * OpenAPI 3.0, so schemas are adapted to JSON Schema first (see ../github-openapi/SOURCE.md).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { Operation, SchemaObject } from './openapi-spec.js';

// ajv-formats is CommonJS; under NodeNext its default export may arrive wrapped.
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ??
  addFormatsPlugin) as (ajv: Ajv) => Ajv;

/** A problem found by validation: where, and what ajv said. */
export type ValidationProblems = string[];

const DROPPED_KEYWORDS = new Set([
  'discriminator',
  'readOnly',
  'writeOnly',
  'deprecated',
  'xml',
  'externalDocs',
  'title',
  'description',
  'example',
  'examples',
]);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);

/** Converts one OpenAPI 3.0 schema to the JSON Schema ajv understands. */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(schema as SchemaObject)) {
    if (DROPPED_KEYWORDS.has(key) || key.startsWith('x-') || key === 'nullable') continue;
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as SchemaObject).map(([name, child]) => [name, toJsonSchema(child)]),
      );
    } else {
      // GitHub's oneOf branches overlap (several accept null), which oneOf would reject.
      out[key === 'oneOf' ? 'anyOf' : key] = toJsonSchema(value);
    }
  }
  const original = schema as SchemaObject;
  // GitHub documents `default: ""` on some `format: uri` fields and returns "" for them.
  if (typeof original['format'] === 'string' && original['default'] !== undefined) {
    return withNullable(original, { anyOf: [out, { const: original['default'] }] });
  }
  return withNullable(original, out);
}

function withNullable(original: SchemaObject, out: SchemaObject): SchemaObject {
  if (original['nullable'] !== true) return out;
  if (typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum']) && !out['enum'].includes(null))
      out['enum'] = [...out['enum'], null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('binary', true);
  ajv.addFormat('timestamp', true);
  return ajv;
}

function describe(errors: ErrorObject[] | null | undefined, where: string): ValidationProblems {
  return (errors ?? []).map((e) => {
    const path = e.instancePath === '' ? '' : ` at ${e.instancePath}`;
    return `${where}${path}: ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`;
  });
}

/** Validates the parts of one request or response against an operation. */
export class OpenApiValidator {
  private readonly strictAjv = createAjv(false);
  private readonly coercingAjv = createAjv(true);
  private readonly cache = new Map<string, ValidateFunction>();

  private compile(key: string, schema: unknown, coerce: boolean): ValidateFunction {
    let validate = this.cache.get(key);
    if (validate === undefined) {
      const ajv = coerce ? this.coercingAjv : this.strictAjv;
      validate = ajv.compile(toJsonSchema(schema) as SchemaObject);
      this.cache.set(key, validate);
    }
    return validate;
  }

  /**
   * Path and query parameters. Values arrive as strings and are coerced to the documented
   * types in place (so handlers read `per_page` as a number).
   */
  validateParameters(
    operation: Operation,
    location: 'path' | 'query',
    values: Record<string, unknown>,
  ): ValidationProblems {
    const params = operation.parameters.filter((p) => p.in === location);
    const schema = {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
      required: params.filter((p) => p.required === true).map((p) => p.name),
    };
    const validate = this.compile(`${operation.operationId} ${location}`, schema, true);
    return validate(values) ? [] : describe(validate.errors, `${location} parameters`);
  }

  /** The request body: JSON operations need a JSON body matching the documented schema. */
  validateRequestBody(
    operation: Operation,
    contentType: string | undefined,
    raw: Buffer,
    parsed: unknown,
  ): ValidationProblems {
    const body = operation.requestBody;
    if (body === undefined) {
      return raw.length === 0 ? [] : ['request body: this operation takes no body'];
    }
    const json = body.content['application/json'];
    if (json === undefined) return []; // binary uploads: any bytes
    if (raw.length === 0) return body.required === true ? ['request body: required'] : [];
    if (!(contentType ?? '').toLowerCase().startsWith('application/json')) {
      return [`request body: content-type ${JSON.stringify(contentType)} is not application/json`];
    }
    if (parsed === undefined) return ['request body: not valid JSON'];
    const validate = this.compile(`${operation.operationId} body`, json.schema ?? {}, false);
    return validate(parsed) ? [] : describe(validate.errors, 'request body');
  }

  /**
   * The response: a success status must be documented; a documented status must carry a body
   * matching its schema. Undocumented error statuses (401, 403, 5xx…) GitHub can return from
   * any operation are accepted when the body has GitHub's error shape.
   */
  validateResponse(operation: Operation, status: number, body: unknown): ValidationProblems {
    const documented = operation.responses[String(status)];
    if (documented === undefined && status < 400) {
      return [`response: status ${status} is not documented`];
    }
    const schema = documented?.content?.['application/json']?.schema;
    if (schema === undefined) {
      if (status >= 400) {
        const message = (body as { message?: unknown } | undefined)?.message;
        return typeof message === 'string' ? [] : ['response: error body has no message'];
      }
      return body === undefined ? [] : [`response: status ${status} documents no body`];
    }
    const validate = this.compile(`${operation.operationId} ${status}`, schema, false);
    return validate(body) ? [] : describe(validate.errors, `response ${status} body`);
  }
}
