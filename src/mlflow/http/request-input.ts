/**
 * Reading an MLflow request: the JSON body of a POST/PATCH (bare NaN/Infinity tokens as Python
 * writes them are accepted) or the query string of a GET, and typed field accessors that read
 * own properties only (JSON.parse makes "__proto__" an own key, never a prototype), and that answer MLflow's own messages ("Missing value for required
 * parameter 'run_id'."). Bodies are capped before they are buffered.
 */
import type { IncomingMessage } from 'node:http';
import { MlflowApiError, invalidParameter } from './mlflow-error.js';

/** A request's fields, keyed without the prototype (keys are client text). */
export type Fields = Record<string, unknown>;

const API_DOCS = ' See the API docs for more information about request parameters.';

/** Reads the whole body, refusing one over `maxBytes` without buffering the rest. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge(declared, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw bodyTooLarge(size, maxBytes);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

function bodyTooLarge(size: number, max: number): MlflowApiError {
  return invalidParameter(
    `Request bodies must be at most ${max} bytes, got a request of at least ${size} bytes.`,
    'split the data across several requests (log-batch takes 1000 metrics per call)',
  );
}

/** Parses a JSON object body; an empty body is `{}` (MLflow treats it the same way). */
export function parseJsonBody(body: Buffer): Fields {
  if (body.length === 0) return Object.create(null) as Fields;
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = JSON.parse(quoteBareNonFinite(text));
    } catch (error) {
      throw invalidParameter(`Malformed JSON request body: ${(error as Error).message}.`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter('The request body must be a JSON object.');
  }
  return parsed as Fields;
}

/** Python's json writes NaN/Infinity/-Infinity bare: quote them outside strings. */
function quoteBareNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = text.startsWith('NaN', i)
      ? 'NaN'
      : text.startsWith('-Infinity', i)
        ? '-Infinity'
        : text.startsWith('Infinity', i)
          ? 'Infinity'
          : undefined;
    if (token === undefined) out += c;
    else {
      out += `"${token}"`;
      i += token.length - 1;
    }
  }
  return out;
}

/** A GET request's query as fields: a repeated key becomes a list. */
export function queryFields(query: URLSearchParams): Fields {
  const fields = Object.create(null) as Fields;
  for (const [key, value] of query) {
    const previous = fields[key];
    if (previous === undefined) fields[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else fields[key] = [previous, value];
  }
  return fields;
}

function field(fields: Fields, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

function missing(name: string): MlflowApiError {
  return invalidParameter(`Missing value for required parameter '${name}'.${API_DOCS}`);
}

function badType(name: string, value: unknown, type: string): MlflowApiError {
  return invalidParameter(
    `Invalid value ${JSON.stringify(value) ?? String(value)} for parameter '${name}' supplied. Hint: Value was of type '${type}'.${API_DOCS}`,
  );
}

function pyType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'str';
}

/** A string field; undefined when absent or null. */
export function optionalString(fields: Fields, name: string): string | undefined {
  const value = field(fields, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'string') return value[0];
  throw badType(name, value, pyType(value));
}

/** A required, non-empty string field. */
export function requiredString(fields: Fields, name: string): string {
  const value = optionalString(fields, name);
  if (value === undefined || value === '') throw missing(name);
  return value;
}

/** The run id of a request: `run_id`, or the deprecated `run_uuid` older clients also send. */
export function requestRunId(fields: Fields): string {
  const id = optionalString(fields, 'run_id') || optionalString(fields, 'run_uuid');
  if (id === undefined || id === '') throw missing('run_id');
  return id;
}

/** An integer field (JSON number, or digits in a query or in proto's int64-as-string). */
export function optionalInteger(fields: Fields, name: string): number | undefined {
  const value = field(fields, name);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw badType(name, value, pyType(value));
}

export function requiredInteger(fields: Fields, name: string): number {
  const value = optionalInteger(fields, name);
  if (value === undefined) throw missing(name);
  return value;
}

/** A list field (a single query value is a list of one). */
export function optionalList(fields: Fields, name: string): unknown[] {
  const value = field(fields, name);
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [value];
  throw badType(name, value, pyType(value));
}

/** A list of strings. */
export function stringList(fields: Fields, name: string): string[] {
  return optionalList(fields, name).map((item) => {
    if (typeof item !== 'string') throw badType(name, item, pyType(item));
    return item;
  });
}

/** A list of `{key, value}` objects (params, tags). */
export function keyValueList(fields: Fields, name: string): Array<{ key: string; value: string }> {
  return optionalList(fields, name).map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw badType(`${name}[${i}]`, item, pyType(item));
    }
    const entry = item as Fields;
    const key = field(entry, 'key');
    if (typeof key !== 'string' || key === '') throw missing(`${name}[${i}].key`);
    const value = field(entry, 'value');
    return { key, value: value === undefined || value === null ? '' : stringValue(value) };
  });
}

/** A value logged as a param or tag: strings as-is, numbers and booleans as Python prints them. */
export function stringValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** A boolean field, as JSON or as 'true'/'false' in a query. */
export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const value = field(fields, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  throw invalidParameter(`Invalid boolean value: ${String(value)}, must be 'true' or 'false'.`);
}

/** Raw access for fields with their own checks (metric values, nested objects). */
export function rawField(fields: Fields, name: string): unknown {
  return field(fields, name);
}
