/**
 * The values a deploy fills templates with, and the `${ghml.<name>}` placeholders that stand
 * for them. Values are data: they are put into parsed YAML strings, never into YAML text or a
 * shell, so quotes, colons, newlines or `$(...)` in them stay inert.
 */

/** Every placeholder a template may use. */
export const PLACEHOLDERS = [
  'model',
  'version',
  'stage',
  'uri',
  'sha256',
  'commit',
  'image',
  'tag',
  'runId',
  'name',
  'modelFormat',
  'file',
  'source',
  'store',
  'files',
] as const;

export type PlaceholderName = (typeof PLACEHOLDERS)[number];

/** What the placeholders are replaced with. */
export interface DeployValues {
  /** The model's registry name, e.g. 'iris' or 'team/churn'. */
  model: string;
  /** The SemVer version being deployed, e.g. 'v1.3.0'. */
  version: string;
  stage: string;
  /** The model artifact's URI from the registration tag ('' when none was recorded). */
  uri: string;
  /** Hex sha256 of the artifact ('' when none was recorded). */
  sha256: string;
  /** The commit the model was trained from. */
  commit: string;
  /** The model-server image (deploy.<stage>.image, or ghml's default). */
  image: string;
  /** The registration tag, e.g. 'iris@v1.3.0'. */
  tag: string;
  /** The tracking-branch run the model came from ('' when unknown). */
  runId: string;
  /** An object name for this model and stage: a DNS-1035 label such as 'iris-prod'. */
  name: string;
  /** KServe model format (registry.models.<name>.type, default 'sklearn'). */
  modelFormat: string;
  /** A safe file name for the downloaded artifact, from the URI's last segment. */
  file: string;
  /**
   * Where the cluster gets the model: 'url' (`uri` is a release asset or another URL), 'store'
   * (pull `files` from `store`), 'modelcar' (`uri` is a KServe modelcar image) or 'none'.
   */
  source: string;
  /** `<registry>/<repository>` of the version in the artifact store ('' unless `source` is 'store'). */
  store: string;
  /** `<sha256>  <path>` lines of the files to pull from `store` ('' unless `source` is 'store'). */
  files: string;
}

/** The model server the built-in Deployment template runs when ghml.yml sets no image. */
export const DEFAULT_IMAGE = 'docker.io/kserve/sklearnserver:v0.14.1';
export const DEFAULT_MODEL_FORMAT = 'sklearn';

export function isPlaceholder(name: string): name is PlaceholderName {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}
