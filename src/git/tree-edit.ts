/**
 * Editing trees without an index: only the trees on the path from the root to the change are
 * read and rewritten, so the cost does not grow with the size of the rest of the tree.
 */
import { InvalidGitArgumentError } from './git-errors.js';
import type { ObjectReader } from './object-reader.js';
import { BLOB_MODE, TREE_MODE, assertEntryName, type TreeEntry } from './tree-entry.js';
import type { TreeWriter } from './tree-writer.js';

/** A file to place in a new tree. */
export interface TreeFile {
  /** '/'-separated path relative to the tree being built. */
  path: string;
  oid: string;
  /** Defaults to '100644'. */
  mode?: string;
}

/** Splits a '/'-separated path into checked segments. */
export function splitTreePath(path: string): string[] {
  const segments = path.split('/');
  for (const segment of segments) {
    try {
      assertEntryName(segment);
    } catch {
      throw new InvalidGitArgumentError('path', path);
    }
  }
  return segments;
}

interface DirNode {
  files: TreeEntry[];
  dirs: Map<string, DirNode>;
}

/** Writes the nested trees holding `files` and returns the top tree's oid. */
export async function buildTree(writer: TreeWriter, files: readonly TreeFile[]): Promise<string> {
  const root: DirNode = { files: [], dirs: new Map() };
  for (const file of files) {
    const segments = splitTreePath(file.path);
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      let next = node.dirs.get(segment);
      if (!next) {
        next = { files: [], dirs: new Map() };
        node.dirs.set(segment, next);
      }
      node = next;
    }
    const name = segments[segments.length - 1] as string;
    node.files.push({ mode: file.mode ?? BLOB_MODE, type: 'blob', oid: file.oid, name });
  }
  const write = async (node: DirNode): Promise<string> => {
    const entries = [...node.files];
    for (const [name, child] of node.dirs) {
      entries.push({ mode: TREE_MODE, type: 'tree', oid: await write(child), name });
    }
    return writer.write(entries);
  };
  return write(root);
}

/** Outcome of `setTreeEntry`: the new root, or the entry that already sits at the path. */
export type SetEntryResult = { tree: string } | { existing: TreeEntry };

/**
 * Returns a new root tree equal to `rootTree` (undefined = empty) with `entry` placed at
 * `path`, creating missing folders. When something already exists at `path`, nothing is
 * written and it is returned instead, unless `replace` is set.
 */
export async function setTreeEntry(
  reader: ObjectReader,
  writer: TreeWriter,
  rootTree: string | undefined,
  path: string,
  entry: Omit<TreeEntry, 'name'>,
  options: {
    replace?: boolean;
    /** Also placed in the root tree (e.g. a marker file when starting from an empty tree). */
    rootExtras?: readonly TreeEntry[];
  } = {},
): Promise<SetEntryResult> {
  const segments = splitTreePath(path);
  const levels: TreeEntry[][] = [];
  let current: string | undefined = rootTree;
  for (const segment of segments) {
    let entries: TreeEntry[] = [];
    if (current !== undefined) {
      const read = await reader.readTree(current);
      if (!read) throw new InvalidGitArgumentError('tree', current);
      entries = read;
    }
    levels.push(entries);
    const found = entries.find((e) => e.name === segment);
    if (found && found.type !== 'tree' && levels.length < segments.length) {
      throw new InvalidGitArgumentError('path (a file is in the way)', path);
    }
    current = found?.oid;
  }
  const last = levels[levels.length - 1]?.find((e) => e.name === segments[segments.length - 1]);
  if (last && !options.replace) return { existing: last };

  let child: TreeEntry = { ...entry, name: segments[segments.length - 1] as string };
  for (let depth = segments.length - 1; depth >= 0; depth--) {
    let siblings = levels[depth] ?? [];
    if (depth === 0 && options.rootExtras) siblings = [...siblings, ...options.rootExtras];
    const oid = await writer.write([...siblings.filter((e) => e.name !== child.name), child]);
    if (depth === 0) return { tree: oid };
    child = { mode: TREE_MODE, type: 'tree', oid, name: segments[depth - 1] as string };
  }
  throw new Error('unreachable: empty path');
}
