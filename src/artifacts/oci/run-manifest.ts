/**
 * The OCI manifest of one run, as a parse/format pair. `formatRunManifest` writes an OCI image
 * manifest (schemaVersion 2, artifactType application/vnd.ghml.run.v1, the empty config
 * descriptor) with one layer per file, titled with its path by
 * `org.opencontainers.image.title` (the convention ORAS and other OCI artifact tools read), and
 * ghml's annotations for the run id and experiment. The bytes are deterministic: the same run
 * and files always give the same manifest and digest, so a pending upload can record its
 * manifest digest before the registry is reached. `parseRunManifest` reads such bytes back,
 * validating everything a registry could have altered; formatting what it returns gives back
 * the exact bytes ghml wrote.
 */
import { createHash } from 'node:crypto';
import { artifactPathProblem } from '../artifact-path.js';
import { InvalidManifestError } from './oci-errors.js';
import { SHA256_DIGEST, digestHex } from './oci-names.js';

export const OCI_MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const RUN_ARTIFACT_TYPE = 'application/vnd.ghml.run.v1';
/** Media type of a run's file layers: plain bytes, neither tar nor compressed. */
export const FILE_LAYER_TYPE = 'application/octet-stream';
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
export const RUN_ID_ANNOTATION = 'vnd.ghml.run.id';
export const EXPERIMENT_ANNOTATION = 'vnd.ghml.experiment';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
export const REVISION_ANNOTATION = 'org.opencontainers.image.revision';
/** The repository's URL: GitHub's registry links the package to that repository by it. */
export const SOURCE_ANNOTATION = 'org.opencontainers.image.source';

/** The image spec's empty descriptor: the 2-byte blob `{}`. */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');

/** One file of a run as the manifest records it. */
export interface RunFile {
  /** Relative '/'-separated path in the run's artifacts. */
  path: string;
  /** sha256 hex (64 lowercase characters). */
  sha256: string;
  size: number;
}

export interface RunManifest {
  runId: string;
  experiment: string;
  /** Sorted by path; paths are unique. */
  files: RunFile[];
  /** RFC 3339 time the run started, when known. */
  created?: string;
  /** The commit the run trained on, when known. */
  revision?: string;
  /** The code repository's URL, e.g. https://github.com/acme/iris. */
  source?: string;
}

const MAX_FILES = 100_000;

/** The manifest's exact bytes. Files are written in path order. */
export function formatRunManifest(manifest: RunManifest): Buffer {
  const files = [...manifest.files].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  const annotations: Record<string, string> = {};
  if (manifest.created !== undefined) annotations[CREATED_ANNOTATION] = manifest.created;
  if (manifest.revision !== undefined) annotations[REVISION_ANNOTATION] = manifest.revision;
  if (manifest.source !== undefined) annotations[SOURCE_ANNOTATION] = manifest.source;
  annotations[EXPERIMENT_ANNOTATION] = manifest.experiment;
  annotations[RUN_ID_ANNOTATION] = manifest.runId;
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    artifactType: RUN_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: files.map((file) => ({
      mediaType: FILE_LAYER_TYPE,
      digest: `sha256:${file.sha256}`,
      size: file.size,
      annotations: { [TITLE_ANNOTATION]: file.path },
    })),
    annotations,
  };
  return Buffer.from(JSON.stringify(json));
}

/** `sha256:<hex>` of manifest bytes. */
export function manifestDigestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(map: Record<string, unknown> | undefined, key: string): string | undefined {
  if (map === undefined || !Object.hasOwn(map, key)) return undefined;
  const value = map[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads a run manifest; throws InvalidManifestError naming `where` and the first problem
 * (not ghml's artifact type, a layer without a safe title, a bad digest, a repeated path...).
 */
export function parseRunManifest(bytes: Buffer, where: string): RunManifest {
  const fail = (problem: string): never => {
    throw new InvalidManifestError(where, problem);
  };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('it is not JSON');
  }
  const root = record(json) ?? fail('it is not a JSON object');
  if (root['schemaVersion'] !== 2) fail('its schemaVersion is not 2');
  const mediaType = text(root, 'mediaType');
  if (mediaType !== undefined && mediaType !== OCI_MANIFEST_TYPE) {
    fail(`its mediaType is '${mediaType.slice(0, 100)}'`);
  }
  const artifactType = text(root, 'artifactType');
  if (artifactType !== RUN_ARTIFACT_TYPE) {
    fail(
      `its artifactType is ${artifactType === undefined ? 'missing' : `'${artifactType.slice(0, 100)}'`}, not ${RUN_ARTIFACT_TYPE}`,
    );
  }
  const annotations = record(root['annotations']);
  const runId =
    text(annotations, RUN_ID_ANNOTATION) ?? fail(`it has no ${RUN_ID_ANNOTATION} annotation`);
  const experiment =
    text(annotations, EXPERIMENT_ANNOTATION) ??
    fail(`it has no ${EXPERIMENT_ANNOTATION} annotation`);
  const layers = root['layers'];
  if (!Array.isArray(layers)) return fail('it has no layers list');
  if (layers.length > MAX_FILES) fail(`it has more than ${MAX_FILES} layers`);
  const seen = new Set<string>();
  const files: RunFile[] = [];
  for (const [index, value] of layers.entries()) {
    const layer = record(value) ?? fail(`layer ${index} is not an object`);
    const digest = text(layer, 'digest') ?? '';
    if (!SHA256_DIGEST.test(digest))
      fail(`layer ${index} has digest '${digest.slice(0, 100)}', not sha256`);
    const size = layer['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      fail(`layer ${index} has no valid size`);
    }
    const path =
      text(record(layer['annotations']), TITLE_ANNOTATION) ??
      fail(`layer ${index} has no ${TITLE_ANNOTATION}`);
    const problem = artifactPathProblem(path);
    if (problem !== undefined) fail(`layer ${index}'s path '${path.slice(0, 200)}' ${problem}`);
    if (seen.has(path)) fail(`the path '${path.slice(0, 200)}' appears twice`);
    seen.add(path);
    files.push({ path, sha256: digestHex(digest) as string, size: size as number });
  }
  const out: RunManifest = { runId, experiment, files };
  const created = text(annotations, CREATED_ANNOTATION);
  if (created !== undefined) out.created = created;
  const revision = text(annotations, REVISION_ANNOTATION);
  if (revision !== undefined) out.revision = revision;
  const source = text(annotations, SOURCE_ANNOTATION);
  if (source !== undefined) out.source = source;
  return out;
}
