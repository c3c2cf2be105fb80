/**
 * How the cluster gets a registered version's model, read from its tag message alone (no
 * GitHub or registry call): by URL (`url`: the release asset, or a folder's `.tar.gz` asset,
 * or any URL a hand-written tag records), from the artifact store (`store`: every file the
 * deploy needs is a blob of the version in the store, pulled by digest), from a KServe modelcar
 * image (`modelcar`: `ghml deploy --modelcar` pushed it), or not at all (`none`: the bytes stay
 * with the run). The file list for the store is `sha256sum` lines, checked by the puller.
 */
import { artifactPathProblem } from '../../artifacts/artifact-path.js';
import { assetName } from '../../registry/releases/model-files.js';
import type { TagArtifact, TagMetadata } from '../../registry/tags/tag-message.js';
import { fileNameFromUri } from '../kube/kube-names.js';

export type DeliverySource = 'url' | 'store' | 'modelcar' | 'none';

export interface Delivery {
  source: DeliverySource;
  /** The artifact the templates' `${ghml.uri}` and `${ghml.sha256}` describe. */
  artifact: TagArtifact | null;
  /** `${ghml.file}`: the file name the artifact is saved as. */
  file: string;
  /** `${ghml.store}`: `<registry>/<repository>` to pull blobs from ('' unless `store`). */
  store: string;
  /** `${ghml.files}`: `<sha256>  <path>` lines to pull ('' unless `store`). */
  files: string;
}

/** `oci://<registry>/<repository>@sha256:<manifest>#<path>`, as registration records it. */
const STORE_FILE_URI = /^oci:\/\/([^/\s]+)\/([a-z0-9._/-]+)@sha256:[0-9a-f]{64}#(.+)$/;

/** How the version described by `metadata` reaches the cluster; see the module comment. */
export function deliveryFor(
  metadata: TagMetadata | undefined,
  configuredPaths: readonly string[],
): Delivery {
  const artifacts = metadata?.artifacts ?? [];
  const folder = metadata?.folder;
  if (folder !== undefined) {
    const archive = metadata?.archive;
    if (archive !== undefined && isUrl(archive.uri)) {
      return byUrl(archive, fileNameFromUri(archive.uri));
    }
    const prefix = `${folder}/`;
    const store = storeFiles(artifacts, (a) =>
      a.path?.startsWith(prefix) === true ? a.path.slice(prefix.length) : undefined,
    );
    if (store !== undefined && metadata?.store !== undefined) {
      return {
        source: 'store',
        artifact: {
          uri: metadata.store.reference,
          sha256: metadata.store.digest.slice('sha256:'.length),
          size: artifacts.reduce((sum, a) => sum + a.size, 0),
        },
        file: assetName(folder) || 'model',
        ...store,
      };
    }
    const first = artifacts[0] ?? null;
    return { source: 'none', artifact: first, file: 'model', store: '', files: '' };
  }
  const artifact = pickArtifact(artifacts, configuredPaths);
  if (artifact === null)
    return { source: 'none', artifact: null, file: 'model.bin', store: '', files: '' };
  const file =
    artifact.path !== undefined
      ? safeName(assetName(artifact.path))
      : fileNameFromUri(artifact.uri);
  if (isUrl(artifact.uri)) return byUrl(artifact, file);
  const store = storeFiles([artifact], () => file);
  if (store !== undefined) return { source: 'store', artifact, file, ...store };
  return { source: 'none', artifact, file, store: '', files: '' };
}

function byUrl(artifact: TagArtifact, file: string): Delivery {
  return { source: 'url', artifact, file, store: '', files: '' };
}

/** Any URL the cluster can fetch that is not ghml's own store reference. */
function isUrl(uri: string): boolean {
  if (uri.startsWith('oci://')) return false;
  try {
    return ['https:', 'http:', 'gs:', 's3:', 'pvc:', 'hf:', 'hdfs:', 'webhdfs:'].includes(
      new URL(uri).protocol,
    );
  } catch {
    return false;
  }
}

/**
 * The repository and `sha256sum` lines when every artifact is a blob of one store repository
 * and has a safe destination path; undefined otherwise.
 */
function storeFiles(
  artifacts: readonly TagArtifact[],
  destination: (a: TagArtifact) => string | undefined,
): { store: string; files: string } | undefined {
  if (artifacts.length === 0) return undefined;
  let repository: string | undefined;
  const lines: string[] = [];
  for (const artifact of artifacts) {
    const match = STORE_FILE_URI.exec(artifact.uri);
    const dest = destination(artifact);
    if (match === null || dest === undefined || artifactPathProblem(dest) !== undefined) {
      return undefined;
    }
    const where = `${match[1]}/${match[2]}`;
    if (repository !== undefined && repository !== where) return undefined;
    repository = where;
    lines.push(`${artifact.sha256}  ${dest}`);
  }
  return repository === undefined ? undefined : { store: repository, files: lines.join('\n') };
}

/** The artifact whose file name matches the model's configured path, else the first. */
function pickArtifact(
  artifacts: readonly TagArtifact[],
  paths: readonly string[],
): TagArtifact | null {
  const names = new Set(paths.map((p) => p.split('/').pop() ?? p));
  const nameOf = (a: TagArtifact): string =>
    a.path !== undefined ? (a.path.split('/').pop() ?? a.path) : fileNameFromUri(a.uri);
  return artifacts.find((a) => names.has(nameOf(a))) ?? artifacts[0] ?? null;
}

function safeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '');
  return safe === '' ? 'model.bin' : safe.slice(0, 120);
}
