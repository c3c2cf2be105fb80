/**
 * Kubernetes' naming rules, and how ghml turns model names, versions and stages into values
 * that satisfy them. Label values are lossy (the exact value goes in an annotation); object
 * names are injective (see objectName), so two models never collide.
 */
import { createHash } from 'node:crypto';

/** Label values: at most 63 of [A-Za-z0-9._-], starting and ending with a letter or digit. */
export const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** DNS-1035 labels (Service and InferenceService names): a letter first, lowercase, at most 63. */
export const DNS_LABEL_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const MAX_LABEL = 63;

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 6);
}

/** A valid label value for `value`: invalid characters become '_', trimmed to 63 characters. */
export function toLabelValue(value: string): string {
  if (value.length <= MAX_LABEL && LABEL_VALUE_RE.test(value)) return value;
  let out = value.replace(/[^A-Za-z0-9._-]/g, '_');
  if (out.length > MAX_LABEL) out = `${out.slice(0, MAX_LABEL - 7)}-${shortHash(value)}`;
  out = out.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return out === '' ? `x${shortHash(value)}` : out;
}

/** `<model>-<stage>` is spelled plainly only for these: then the last '-' splits it back. */
const PLAIN_MODEL = /^[a-z](?:-?[a-z0-9])*$/;
const PLAIN_STAGE = /^[a-z0-9]+$/;
const HASH_LENGTH = 10;

/**
 * The name of a model's objects at a stage, a DNS-1035 label of at most 63 characters, and
 * injective: two (model, stage) pairs never share a name, so they never share objects or a
 * Lease. It is `<model>-<stage>` (`iris-prod`, `churn-model-prod`) when the model is lower
 * case with single inner '-' and the stage is lower-case letters and digits: splitting at the
 * last '-' then gives both back. Anything else (a '-' or '_' in the stage, '/', capitals,
 * '--', over 63 characters) is a readable prefix, `--` and a 10-digit hash of model and stage
 * (`a-b-prod--3f2a1c9b0d`); plain names never contain `--`, so the two forms never meet.
 */
export function objectName(model: string, stage: string): string {
  const plain = `${model}-${stage}`;
  if (PLAIN_MODEL.test(model) && PLAIN_STAGE.test(stage) && plain.length <= MAX_LABEL) {
    return plain;
  }
  const hash = createHash('sha256').update(`${model}\u0000${stage}`).digest('hex');
  const prefix = plain
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, MAX_LABEL - HASH_LENGTH - 2)
    .replace(/-+$/, '');
  return `${prefix === '' ? 'm' : prefix}--${hash.slice(0, HASH_LENGTH)}`;
}

/** The Lease that serialises deploys of a model to a stage (a DNS-1123 subdomain). */
export function leaseName(model: string, stage: string): string {
  return `ghml-deploy-${objectName(model, stage)}`;
}

/**
 * The name ghml 0.1 gave a model's objects (not injective: `a-b` at `prod` and `a` at `b-prod`
 * were both `a-b-prod`). Only read, to find objects an earlier deploy left under that name.
 */
export function legacyObjectName(model: string, stage: string): string {
  const joined = `${model}-${stage}`;
  let out = joined
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  const lossy = out !== joined;
  if (out === '') out = 'm';
  if (lossy || out.length > MAX_LABEL) {
    const hash = shortHash(joined);
    out = `${out.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '')}-${hash}`;
  }
  return out;
}

/** A safe file name from the last path segment of a URI, for the downloaded model file. */
export function fileNameFromUri(uri: string): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(uri).pathname.split('/').pop() ?? '');
  } catch {
    last = uri.split(/[/\\]/).pop() ?? '';
  }
  const safe = last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '');
  return safe === '' ? 'model.bin' : safe.slice(0, 120);
}
