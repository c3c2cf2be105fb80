/**
 * Renders templates into Kubernetes objects. Each file is parsed as a YAML stream; every
 * string scalar has its `${ghml.<name>}` placeholders replaced in the parsed tree (never in the
 * text, so a value cannot add keys, documents or YAML syntax); then every object gets ghml's
 * labels and annotations, on its pod template too. An unknown placeholder is an error naming
 * the file, line and placeholder.
 */
import { LineCounter, parseAllDocuments, visit } from 'yaml';
import { annotationsFor, LABEL, labelsFor } from './deploy-labels.js';
import { TemplateSyntaxError, UnknownPlaceholderError } from '../deploy-errors.js';
import {
  isPlaceholder,
  PLACEHOLDERS,
  type DeployValues,
  type PlaceholderName,
} from './deploy-values.js';
import type { TemplateFile } from './template-source.js';

/** A Kubernetes object as rendered: apiVersion, kind and metadata.name are checked strings. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface RenderResult {
  objects: KubeObject[];
  /** Placeholders the templates used (e.g. to require a downloadable URI only when used). */
  used: Set<PlaceholderName>;
}

const PLACEHOLDER_RE = /\$\{ghml\.([^}]*)\}/g;
// Alias expansion is bounded, so a hostile template cannot blow up memory.
const MAX_ALIASES = 100;

export function renderTemplates(
  files: readonly TemplateFile[],
  values: DeployValues,
): RenderResult {
  const objects: KubeObject[] = [];
  const used = new Set<PlaceholderName>();
  for (const file of files) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
    if (!Array.isArray(docs)) continue; // an empty stream
    for (const doc of docs) {
      const error = doc.errors[0];
      if (error) {
        throw new TemplateSyntaxError(
          file.displayPath,
          lines.linePos(error.pos[0]).line,
          error.message.split('\n')[0] ?? 'invalid YAML',
        );
      }
      visit(doc, {
        Scalar(_key, node) {
          if (typeof node.value !== 'string' || !node.value.includes('${ghml.')) return;
          const line = node.range ? lines.linePos(node.range[0]).line : undefined;
          node.value = node.value.replace(PLACEHOLDER_RE, (_match, name: string) => {
            if (!isPlaceholder(name)) {
              throw new UnknownPlaceholderError(file.displayPath, line, name, PLACEHOLDERS);
            }
            used.add(name);
            return values[name];
          });
        },
      });
      const docLine = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : undefined;
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIASES });
      } catch (e) {
        throw new TemplateSyntaxError(file.displayPath, docLine, (e as Error).message);
      }
      if (value === null || value === undefined) continue; // an empty document
      objects.push(checkObject(value, file.displayPath, docLine));
    }
  }
  for (const object of objects) decorate(object, values);
  return { objects, used };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(value: unknown, file: string, line: number | undefined): KubeObject {
  if (!isRecord(value)) throw new TemplateSyntaxError(file, line, 'a document is not a mapping');
  if (typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string') {
    throw new TemplateSyntaxError(file, line, 'an object has no apiVersion or kind');
  }
  if (value['kind'] === 'List' || value['kind'].endsWith('List')) {
    throw new TemplateSyntaxError(
      file,
      line,
      `'${value['kind']}' objects are not supported; write one document per object`,
    );
  }
  const metadata = value['metadata'];
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '') {
    throw new TemplateSyntaxError(file, line, `the ${value['kind']} has no metadata.name`);
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = metadata[key];
    if (map !== undefined && map !== null && !isRecord(map)) {
      throw new TemplateSyntaxError(
        file,
        line,
        `metadata.${key} of ${value['kind']} '${metadata['name']}' is not a mapping`,
      );
    }
  }
  return value as KubeObject;
}

// The template's own values win for these, since selectors may use them.
const DEFAULT_ONLY = new Set<string>([LABEL.name, LABEL.instance]);

function merge(target: Record<string, unknown>, key: string, extra: Record<string, string>): void {
  const current = isRecord(target[key]) ? (target[key] as Record<string, unknown>) : {};
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(extra)) {
    if (!(DEFAULT_ONLY.has(k) && typeof current[k] === 'string')) next[k] = v;
  }
  target[key] = next;
}

/** ghml's labels and annotations on the object, and on its pod template if it has one. */
function decorate(object: KubeObject, values: DeployValues): void {
  const labels = labelsFor(values);
  const annotations = annotationsFor(values);
  merge(object.metadata, 'labels', labels);
  merge(object.metadata, 'annotations', annotations);
  const spec = object['spec'];
  const template = isRecord(spec) ? spec['template'] : undefined;
  if (isRecord(template) && object.kind !== 'InferenceService') {
    const meta = isRecord(template['metadata']) ? template['metadata'] : {};
    template['metadata'] = meta;
    merge(meta, 'labels', labels);
    merge(meta, 'annotations', annotations);
  }
}
