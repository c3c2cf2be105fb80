/**
 * The OpenAPI subset the emulator serves (test/support/github-openapi), loaded once, and the
 * matcher that maps a request's method and path to one documented operation.
 */
import { readFileSync } from 'node:fs';

/** A JSON Schema / OpenAPI 3.0 schema object, as published by GitHub. */
export type SchemaObject = { [keyword: string]: unknown };

/** One OpenAPI parameter (path or query) of an operation. */
export interface OperationParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

/** One documented response of an operation. */
export interface OperationResponse {
  content?: Record<string, { schema?: SchemaObject }>;
  headers?: Record<string, unknown>;
}

/** One documented REST operation, e.g. `issues/create-comment`. */
export interface Operation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/issues/{issue_number}/comments`. */
  path: string;
  /** `uploads` for operations GitHub serves on uploads.github.com. */
  host: 'api' | 'uploads';
  parameters: OperationParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: SchemaObject }> };
  responses: Record<string, OperationResponse>;
}

/** A request matched to an operation, with its decoded path parameters. */
export interface MatchedOperation {
  operation: Operation;
  params: Record<string, string>;
}

interface SubsetDocument {
  info: { version: string; 'x-source'?: string };
  paths: Record<
    string,
    Record<string, Omit<Operation, 'method' | 'path' | 'host'> & { servers?: unknown[] }>
  >;
}

const SUBSET_URL = new URL('../github-openapi/api.github.com.subset.json', import.meta.url);

/** The loaded subset: every served operation, findable by id or by request. */
export class OpenApiSpec {
  readonly version: string;
  readonly operations: readonly Operation[];
  private readonly byId = new Map<string, Operation>();

  constructor(document: SubsetDocument) {
    this.version = document.info.version;
    const operations: Operation[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, raw] of Object.entries(item)) {
        const operation: Operation = {
          ...raw,
          method: method.toUpperCase(),
          path,
          host: raw.servers === undefined ? 'api' : 'uploads',
        };
        operations.push(operation);
        this.byId.set(operation.operationId, operation);
      }
    }
    this.operations = operations;
  }

  /** Loads the committed subset file. */
  static load(): OpenApiSpec {
    return new OpenApiSpec(JSON.parse(readFileSync(SUBSET_URL, 'utf8')) as SubsetDocument);
  }

  operation(operationId: string): Operation {
    const found = this.byId.get(operationId);
    if (found === undefined) throw new Error(`Operation ${operationId} is not in the subset`);
    return found;
  }

  /** The JSON schema of a documented response body, e.g. ('issues/get-comment', 200). */
  responseSchema(operationId: string, status: number): SchemaObject {
    const schema =
      this.operation(operationId).responses[String(status)]?.content?.['application/json']?.schema;
    if (schema === undefined) throw new Error(`${operationId} documents no JSON ${status} body`);
    return schema;
  }

  /**
   * Finds the operation for a request. Paths that match several templates prefer the one with
   * more literal segments (`/releases/tags/{tag}` over `/releases/{release_id}`).
   * Returns `{ pathMatches: true }` when the path exists but not with this method.
   */
  match(
    host: 'api' | 'uploads',
    method: string,
    pathname: string,
  ): MatchedOperation | { pathMatches: boolean } {
    const segments = pathname.split('/').slice(1);
    let best: { matched: MatchedOperation; literals: number } | undefined;
    let pathMatches = false;
    for (const operation of this.operations) {
      if (operation.host !== host) continue;
      const result = matchTemplate(operation.path, segments);
      if (result === undefined) continue;
      pathMatches = true;
      if (operation.method !== method) continue;
      if (best === undefined || result.literals > best.literals) {
        best = { matched: { operation, params: result.params }, literals: result.literals };
      }
    }
    return best?.matched ?? { pathMatches };
  }
}

function matchTemplate(
  template: string,
  segments: string[],
): { params: Record<string, string>; literals: number } | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  let literals = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const segment = segments[i] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name !== undefined) {
      if (segment === '') return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
      params[name] = decoded;
    } else if (part === segment) {
      literals++;
    } else {
      return undefined;
    }
  }
  return { params, literals };
}

let cached: OpenApiSpec | undefined;

/** The subset, loaded on first use and shared by every emulator in the process. */
export function loadSpec(): OpenApiSpec {
  cached ??= OpenApiSpec.load();
  return cached;
}
