/**
 * What a version's GitHub release carries: each file as an asset, read checked and streamed
 * from wherever the run keeps it (the artifact store included, so nothing is staged on disk),
 * or, for a folder registered whole, one `<folder>.tar.gz` built first into a temp file. A file
 * (or folder) at GitHub's asset limit or above is not attached: the model card links it to the
 * artifact store instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelArchive, type ModelArchive } from './model-archive.js';
import { openChecked } from './model-content.js';
import type { ModelFile, ModelSelection } from './model-files.js';
import type { UploadAsset } from './release-client.js';

/** GitHub refuses release assets of 2 GiB or more. */
export const MAX_ASSET_BYTES = 2 * 1024 ** 3;

/** The folder's archive, as attached. */
export interface AttachedArchive extends ModelArchive {
  name: string;
}

export interface PreparedAssets {
  assets: UploadAsset[];
  /** The folder's archive, when one is attached. */
  archive?: AttachedArchive;
  /** Files too large to attach. */
  linked: ModelFile[];
  /** True when an asset streams from the artifact store (checked only as it streams). */
  streamsFromStore: boolean;
  /** Removes the temp files. */
  dispose(): Promise<void>;
}

export interface PrepareOptions {
  /** False: no release, so nothing is prepared. */
  release: boolean;
  /** Default MAX_ASSET_BYTES. */
  maxAssetBytes?: number;
  /** Bytes read while building an archive. */
  onArchiveProgress?: (bytes: number) => void;
}

/** Prepares the assets of `selection`; see the module comment. */
export async function prepareAssets(
  selection: ModelSelection,
  options: PrepareOptions,
): Promise<PreparedAssets> {
  const none: PreparedAssets = {
    assets: [],
    linked: [],
    streamsFromStore: false,
    dispose: async () => {},
  };
  if (!options.release || selection.files.length === 0) return none;
  const max = options.maxAssetBytes ?? MAX_ASSET_BYTES;
  if (selection.folder !== undefined) {
    const total = selection.files.reduce((sum, f) => sum + f.size, 0);
    if (total >= max) return { ...none, linked: [...selection.files] };
    const dir = await mkdtemp(join(tmpdir(), 'ghml-register-'));
    const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
    try {
      const built = await buildModelArchive(selection.files, dir, options.onArchiveProgress);
      if (built.size >= max) {
        await dispose();
        return { ...none, linked: [...selection.files] };
      }
      const name = selection.folder.archiveName;
      const bytes = {
        sha256: built.sha256,
        size: built.size,
        content: { kind: 'file', file: built.file } as const,
        where: `the archive ${name}`,
      };
      return {
        assets: [{ name, size: built.size, open: () => openChecked(bytes) }],
        archive: { ...built, name },
        linked: [],
        streamsFromStore: false,
        dispose,
      };
    } catch (error) {
      await dispose();
      throw error;
    }
  }
  const attached = selection.files.filter((f) => f.size < max);
  return {
    assets: attached.map((file) => ({
      name: file.name,
      size: file.size,
      open: () => openChecked(file.bytes),
    })),
    linked: selection.files.filter((f) => f.size >= max),
    streamsFromStore: attached.some((f) => f.bytes.content.kind === 'blob'),
    dispose: async () => {},
  };
}
