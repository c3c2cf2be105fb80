/**
 * `ghml deploy --modelcar`: a KServe modelcar image for the version — its files under /models
 * (a file under its name, a registered folder's files under their paths inside it, so an MLflow
 * model's MLmodel is /mnt/models/MLmodel) on a base image with a shell — pushed to
 * `<prefix>/modelcars/<model>:<version>` in the artifact store, for `storageUri: oci://…`. The
 * bytes stream from wherever the run keeps them (the store's blobs, the tracking branch, the
 * local cache) into the image layer; nothing is staged on disk. Files from the branch and the
 * cache are checked against the tag's sha256 first; blobs are the store's content-addressed
 * copies. Planning (the files, their sources, the reference) pushes nothing: that is
 * `--dry-run`.
 */
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { artifactPathProblem } from '../../artifacts/artifact-path.js';
import { hashFile, type LocalContentStore } from '../../artifacts/local-content-store.js';
import { pushModelcar, type BaseImage } from '../../artifacts/oci/modelcar.js';
import { modelcarRepository, versionTag } from '../../artifacts/oci/oci-names.js';
import { OCI_MANIFEST_TYPE } from '../../artifacts/oci/run-manifest.js';
import type { RegistryClient } from '../../artifacts/oci/registry-client.js';
import { GhmlError, UsageError } from '../../errors/ghml-error.js';
import {
  contentSegment,
  contentOrigin,
  type ModelBytes,
} from '../../registry/releases/model-content.js';
import { runFileLocator } from '../../registry/releases/run-file-locator.js';
import type { TrackingStore } from '../../tracking/store/tracking-store.js';
import type { ResolvedVersion } from '../deploy-plan.js';

/** KServe runs a shell in the modelcar, so the default base is busybox (as fetch-model uses). */
export const DEFAULT_MODELCAR_BASE = 'docker.io/library/busybox:1.36';

/** What a modelcar holds and where it goes. */
export interface ModelcarPlan {
  /** `oci://<registry>/<prefix>/modelcars/<model>:<version>`: the storageUri. */
  reference: string;
  /** The base image as given. */
  base: string;
  files: Array<{
    /** Under /models. */
    path: string;
    size: number;
    sha256: string;
    from: 'store' | 'tracking-branch' | 'local';
  }>;
  bytes: number;
}

/** A plan, and pushing it. */
export interface PreparedModelcar {
  plan: ModelcarPlan;
  push(): Promise<{ reference: string; digest: string }>;
}

/** What `ghml deploy` reports about a modelcar. */
export interface ModelcarResult extends ModelcarPlan {
  pushed: boolean;
  /** The image's manifest digest (null in a dry run). */
  digest: string | null;
}

/** Builds modelcars; deploy-setup.ts wires the real store. */
export interface ModelcarBuilder {
  prepare(resolved: ResolvedVersion, options: { base?: string }): Promise<PreparedModelcar>;
  /** The version's modelcar when the store has one already (a rollback reuses it). */
  existing(resolved: ResolvedVersion): Promise<{ reference: string; digest: string } | undefined>;
}

export interface ModelcarDeps {
  /** The artifact store in force; null: none (then --modelcar is an error naming why). */
  store: ArtifactStore | null;
  storeProblem?: string;
  tracking: TrackingStore;
  cache?: LocalContentStore;
  /** A client for another registry (the base image's). */
  clientFor(registry: string, repository: string): RegistryClient;
}

export class ModelcarNeedsStoreError extends UsageError {
  constructor(why: string) {
    super(`--modelcar pushes an image to the artifact store, and ${why}.`, {
      hint: 'set artifacts.store in ghml.yml, e.g. `store: oci://ghcr.io/<owner>/<repo>`, or deploy without --modelcar',
    });
    this.name = 'ModelcarNeedsStoreError';
  }
}

export function modelcarBuilder(deps: ModelcarDeps): ModelcarBuilder {
  const storeOrThrow = (): ArtifactStore => {
    if (deps.store === null) {
      throw new ModelcarNeedsStoreError(
        deps.storeProblem === undefined
          ? 'none is set'
          : `it cannot be opened: ${deps.storeProblem}`,
      );
    }
    return deps.store;
  };
  return {
    async prepare(resolved, options) {
      const store = storeOrThrow();
      const files = await modelcarFiles(resolved, deps, store);
      const repository = modelcarRepository(store.prefix, resolved.model);
      const tag = versionTag(resolved.version);
      const baseText = options.base ?? DEFAULT_MODELCAR_BASE;
      const base = parseImage(baseText);
      const plan: ModelcarPlan = {
        reference: `oci://${store.registry}/${repository}:${tag}`,
        base: baseText,
        files: files.map((f) => ({
          path: f.path,
          size: f.bytes.size,
          sha256: f.bytes.sha256,
          from: contentOrigin(f.bytes),
        })),
        bytes: files.reduce((sum, f) => sum + f.bytes.size, 0),
      };
      return {
        plan,
        async push() {
          const baseImage: BaseImage = {
            client:
              base.registry === store.registry
                ? store.client
                : deps.clientFor(base.registry, base.repository),
            repository: base.repository,
            reference: base.reference,
          };
          const pushed = await pushModelcar({
            client: store.client,
            repository,
            tag,
            files: files.map((f) => ({
              path: f.path,
              size: f.bytes.size,
              content: contentSegment(f.bytes),
            })),
            base: baseImage,
            annotations: {
              'vnd.ghml.model': resolved.model,
              'vnd.ghml.model.version': resolved.version,
              ...(resolved.runId === null ? {} : { 'vnd.ghml.run.id': resolved.runId }),
            },
          });
          return { reference: pushed.storageUri, digest: pushed.digest };
        },
      };
    },
    async existing(resolved) {
      const store = deps.store;
      if (store === null) return undefined;
      const repository = modelcarRepository(store.prefix, resolved.model);
      const tag = versionTag(resolved.version);
      const digest = await store.client
        .manifestDigest(repository, tag, [OCI_MANIFEST_TYPE])
        .catch(() => null);
      return digest === null
        ? undefined
        : { reference: `oci://${store.registry}/${repository}:${tag}`, digest };
    },
  };
}

/** The version's files with their place under /models and where their bytes are. */
async function modelcarFiles(
  resolved: ResolvedVersion,
  deps: ModelcarDeps,
  store: ArtifactStore,
): Promise<Array<{ path: string; bytes: ModelBytes }>> {
  const metadata = resolved.metadata;
  const artifacts = metadata?.artifacts ?? [];
  const runId = metadata?.runId;
  if (artifacts.length === 0 || runId === undefined) {
    throw new GhmlError(
      `${resolved.tag} records no model files with their run; there is nothing to put in a modelcar.`,
      {
        hint: `Register a version from a run with model files: ghml model register ${resolved.model} --run <run-id> --path <file or folder>`,
      },
    );
  }
  const run = await deps.tracking.findRun(runId);
  const locator = runFileLocator({
    tracking: deps.tracking,
    ...(deps.cache === undefined ? {} : { cache: deps.cache }),
    store,
  });
  const folder = metadata?.folder;
  const out: Array<{ path: string; bytes: ModelBytes }> = [];
  const selected =
    folder === undefined ? (resolved.artifact === null ? [] : [resolved.artifact]) : artifacts;
  for (const artifact of selected) {
    const entry =
      (artifact.path === undefined
        ? undefined
        : run.record.artifacts.find((a) => a.path === artifact.path)) ??
      run.record.artifacts.find((a) => a.sha256 === artifact.sha256);
    if (entry === undefined || entry.sha256 !== artifact.sha256 || entry.size !== artifact.size) {
      throw new GhmlError(
        `Run ${run.id} has no artifact with the sha256 ${artifact.sha256.slice(0, 12)}… that ${resolved.tag} records.`,
        { hint: 'The run was changed after registration; register a new version.' },
      );
    }
    const path =
      folder === undefined
        ? resolved.delivery.file
        : entry.path.startsWith(`${folder}/`)
          ? entry.path.slice(folder.length + 1)
          : '';
    if (path === '' || artifactPathProblem(path) !== undefined) {
      throw new GhmlError(
        `${resolved.tag} records a file '${entry.path.slice(0, 300)}' that cannot go under /models.`,
        {
          hint: 'Its tag message or run was edited by hand; register a new version with ghml.',
        },
      );
    }
    const bytes = await locator.locate(run, entry);
    if (bytes === undefined) {
      throw new GhmlError(
        `'${entry.path}' of run ${run.id} is neither on the tracking branch, in the local cache, nor in ${store.url}.`,
        { hint: 'Upload it from the machine that recorded the run (ghml push there).' },
      );
    }
    if (bytes.content.kind === 'file') {
      const got = await hashFile(bytes.content.file);
      if (got.sha256 !== entry.sha256 || got.size !== entry.size) {
        throw new GhmlError(`${bytes.where} does not match its sha256 ${entry.sha256}.`, {
          hint: 'The local copy is damaged; remove it and upload the run again from its source.',
        });
      }
    }
    out.push({ path, bytes });
  }
  return out;
}

/** `[host[:port]/]repository[:tag|@sha256:…]`; Docker Hub names get its API host. */
export function parseImage(text: string): {
  registry: string;
  repository: string;
  reference: string;
} {
  const bad = (): UsageError =>
    new UsageError(`'${text.slice(0, 200)}' is not an image reference.`, {
      hint: 'write registry/repository:tag, e.g. ghcr.io/acme/base/busybox:1.36',
    });
  let rest = text.trim();
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasHost =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasHost ? first : 'docker.io';
  let repository = hasHost ? parts.slice(1).join('/') : rest;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'registry-1.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (repository === '' || reference === '' || /\s/.test(text)) throw bad();
  return { registry, repository, reference };
}
