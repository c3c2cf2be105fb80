/**
 * Kubernetes' naming rules, and how ghml turns model names, versions and stages into values
 * that satisfy them. Label values are lossy (the exact value goes in an annotation); object
 * names get a short hash when the conversion lost information, so two models never collide.
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

/**
 * A DNS-1035 label from `parts` joined with '-', for object names (`iris-prod`). When the
 * conversion changed anything, a hash of the original keeps names of different models apart.
 */
export function toResourceName(...parts: string[]): string {
  const joined = parts.join('-');
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
