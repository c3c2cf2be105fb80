/**
 * A KServe "modelcar": an OCI image whose `/models` holds the model files, which KServe serves
 * from `storageUri: oci://<registry>/<repository>:<tag>`. The image is the base image's layers
 * (KServe runs `sh -c 'ln -sf /proc/$$/root/models /mnt/models && sleep infinity'` in it, so the
 * base must have a shell: busybox is the usual choice) plus one uncompressed tar layer with
 * `models/<path>` for each file, and an image config that appends the layer's diff id. The tar
 * is streamed from the files (local or in the store) straight into a chunked upload whose digest
 * is computed on the way, so nothing is staged on disk. Base layers are mounted when the base
 * lives in the same registry, else streamed across.
 */
import { createHash } from 'node:crypto';
import { uploadBlob, type BlobUploadOptions } from './blob-upload.js';
import { InvalidManifestError, MissingBlobError } from './oci-errors.js';
import { SHA256_DIGEST, digestHex } from './oci-names.js';
import type { RegistryClient } from './registry-client.js';
import { openSegments, segmentsSize, type Segment } from './segmented-source.js';
import { tarSegments } from './tar-layer.js';
import { OCI_MANIFEST_TYPE } from './run-manifest.js';

export const OCI_INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
export const OCI_TAR_LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';
const DOCKER_MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
const MANIFEST_ACCEPT = [OCI_MANIFEST_TYPE, OCI_INDEX_TYPE, DOCKER_MANIFEST_TYPE, DOCKER_LIST_TYPE];
/** Docker media types of base layers and their OCI names (same bytes). */
const LAYER_TYPE_TO_OCI: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip':
    'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar': OCI_TAR_LAYER_TYPE,
};
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A file to place under /models. */
export interface ModelcarFile {
  /** Path under /models, relative. */
  path: string;
  size: number;
  content: Segment;
}

/** The image to build on: a repository and tag or digest in some registry. */
export interface BaseImage {
  client: RegistryClient;
  repository: string;
  reference: string;
}

export interface ModelcarOptions {
  client: RegistryClient;
  repository: string;
  tag: string;
  files: ModelcarFile[];
  base?: BaseImage;
  /** Platform picked from a multi-platform base, and written for a base-less image. */
  platform?: { os: string; architecture: string };
  /** RFC 3339 creation time written into the config (deterministic when given). */
  created?: string;
  annotations?: Record<string, string>;
  upload?: BlobUploadOptions;
}

export interface PushedModelcar {
  /** `oci://registry/repository:tag`, for KServe's storageUri. */
  storageUri: string;
  /** The manifest digest; `oci://registry/repository@<digest>` pins it. */
  digest: string;
  layerDigest: string;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

interface BaseParts {
  layers: Descriptor[];
  config: Record<string, unknown>;
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const digest = d['digest'];
  const size = d['size'];
  const mediaType = d['mediaType'];
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) {
    throw new InvalidManifestError(where, 'a descriptor has no sha256 digest');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidManifestError(where, 'a descriptor has no valid size');
  }
  return { digest, size, mediaType: typeof mediaType === 'string' ? mediaType : '' };
}

async function readBlobJson(base: BaseImage, d: Descriptor): Promise<Record<string, unknown>> {
  const where = `${base.client.registry}/${base.repository}`;
  if (d.size > MAX_CONFIG_BYTES)
    throw new InvalidManifestError(where, 'its image config is too large');
  const opened = await base.client.openBlob(base.repository, d.digest);
  if (opened === null)
    throw new MissingBlobError(base.client.registry, base.repository, d.digest, 'the image config');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of opened.response.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONFIG_BYTES) {
      opened.response.body.destroy();
      throw new InvalidManifestError(where, 'its image config is too large');
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== d.digest) {
    throw new InvalidManifestError(where, 'its image config does not match its digest');
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidManifestError(where, 'its image config is not JSON');
  }
}

async function resolveBase(
  base: BaseImage,
  platform: { os: string; architecture: string },
): Promise<BaseParts> {
  const where = `${base.client.registry}/${base.repository}:${base.reference}`;
  let reference = base.reference;
  for (let depth = 0; depth < 2; depth += 1) {
    const fetched = await base.client.getManifest(base.repository, reference, MANIFEST_ACCEPT);
    if (fetched === null) throw new InvalidManifestError(where, 'the base image does not exist');
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(fetched.bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new InvalidManifestError(where, 'the base manifest is not JSON');
    }
    const mediaType = typeof json['mediaType'] === 'string' ? json['mediaType'] : fetched.mediaType;
    if (
      mediaType === OCI_INDEX_TYPE ||
      mediaType === DOCKER_LIST_TYPE ||
      Array.isArray(json['manifests'])
    ) {
      const manifests = Array.isArray(json['manifests']) ? (json['manifests'] as unknown[]) : [];
      const match = manifests.find((m) => {
        const p = (m as { platform?: { os?: unknown; architecture?: unknown } }).platform;
        return p?.os === platform.os && p.architecture === platform.architecture;
      });
      if (match === undefined) {
        throw new InvalidManifestError(
          where,
          `the base image has no ${platform.os}/${platform.architecture} image`,
        );
      }
      reference = descriptor(match, where).digest;
      continue;
    }
    const layers = Array.isArray(json['layers'])
      ? (json['layers'] as unknown[]).map((l) => descriptor(l, where))
      : [];
    const config = await readBlobJson(base, descriptor(json['config'], where));
    return { layers, config };
  }
  throw new InvalidManifestError(where, 'the base index points at another index');
}

/** Seconds since the epoch of an RFC 3339 time; 0 when absent or unreadable. */
function mtimeOf(created: string | undefined): number {
  const ms = created === undefined ? Number.NaN : Date.parse(created);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

/** Builds and pushes the modelcar image; see the module comment. */
export async function pushModelcar(options: ModelcarOptions): Promise<PushedModelcar> {
  const { client, repository } = options;
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const upload = options.upload ?? {};
  const base = options.base === undefined ? undefined : await resolveBase(options.base, platform);

  const layers: Descriptor[] = [];
  for (const layer of base?.layers ?? []) {
    const from = options.base as BaseImage;
    const sameRegistry = from.client.registry === client.registry;
    await uploadBlob(
      client,
      repository,
      {
        label: `base layer ${layer.digest}`,
        size: layer.size,
        sha256: digestHex(layer.digest),
        open: (start, end) =>
          openSegments(
            [
              {
                kind: 'blob',
                client: from.client,
                repository: from.repository,
                digest: layer.digest,
                size: layer.size,
                label: layer.digest,
              },
            ],
            start,
            end,
          ),
      },
      { ...upload, ...(sameRegistry ? { mountFrom: from.repository } : {}) },
    );
    layers.push({ ...layer, mediaType: LAYER_TYPE_TO_OCI[layer.mediaType] ?? layer.mediaType });
  }

  const segments = tarSegments(
    options.files.map((file) => ({
      path: `models/${file.path}`,
      size: file.size,
      content: file.content,
    })),
    mtimeOf(options.created),
  );
  const size = segmentsSize(segments);
  const pushed = await uploadBlob(
    client,
    repository,
    {
      label: 'the modelcar layer',
      size,
      sha256: undefined,
      open: (start, end) => openSegments(segments, start, end),
    },
    upload,
  );
  const layerDigest = `sha256:${pushed.sha256}`;
  layers.push({ mediaType: OCI_TAR_LAYER_TYPE, digest: layerDigest, size });

  const config: Record<string, unknown> =
    base === undefined
      ? {
          architecture: platform.architecture,
          os: platform.os,
          config: {},
          rootfs: { type: 'layers', diff_ids: [] },
          history: [],
        }
      : structuredClone(base.config);
  const rootfs = (config['rootfs'] ?? {}) as { type?: string; diff_ids?: unknown[] };
  config['rootfs'] = {
    type: 'layers',
    diff_ids: [...(Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : []), layerDigest],
  };
  const history = Array.isArray(config['history']) ? (config['history'] as unknown[]) : [];
  config['history'] = [
    ...history,
    {
      ...(options.created === undefined ? {} : { created: options.created }),
      created_by: 'ghml modelcar: /models',
      comment: 'model files',
    },
  ];
  if (options.created !== undefined) config['created'] = options.created;
  const configBytes = Buffer.from(JSON.stringify(config));
  const configSha = createHash('sha256').update(configBytes).digest('hex');
  await uploadBlob(
    client,
    repository,
    {
      label: 'the modelcar config',
      size: configBytes.length,
      sha256: configSha,
      open: (s, e) => openSegments([{ kind: 'bytes', data: configBytes }], s, e),
    },
    upload,
  );

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_TYPE,
      config: {
        mediaType: OCI_CONFIG_TYPE,
        digest: `sha256:${configSha}`,
        size: configBytes.length,
      },
      layers,
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    }),
  );
  const digest = await client.putManifest(repository, options.tag, manifest, OCI_MANIFEST_TYPE);
  return {
    storageUri: `oci://${client.registry}/${repository}:${options.tag}`,
    digest,
    layerDigest,
  };
}
