/** Git tree entries: parsing raw tree objects and checking entries before they are written. */
import { InvalidGitArgumentError } from './git-errors.js';

export type TreeEntryType = 'blob' | 'tree' | 'commit';

/** One entry of a git tree. */
export interface TreeEntry {
  /** Octal mode as git prints it in ls-tree: '100644', '100755', '120000', '040000', '160000'. */
  mode: string;
  type: TreeEntryType;
  /** Hex object id. */
  oid: string;
  /** Name within the tree (one path segment). */
  name: string;
}

export const TREE_MODE = '040000';
export const BLOB_MODE = '100644';

function typeOfMode(mode: string): TreeEntryType {
  if (mode === TREE_MODE) return 'tree';
  if (mode === '160000') return 'commit';
  return 'blob';
}

/**
 * Parses the raw bytes of a tree object (`<mode> <name>\0<hash>` repeated). `hashBytes` is 20
 * for SHA-1 repositories and 32 for SHA-256 ones.
 */
export function parseTreeObject(data: Buffer, hashBytes: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + hashBytes > data.length) {
      throw new Error(`malformed tree object at byte ${pos}`);
    }
    const mode = data.toString('latin1', pos, space).padStart(6, '0');
    const name = data.toString('utf8', space + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 1 + hashBytes);
    entries.push({ mode, type: typeOfMode(mode), oid, name });
    pos = nul + 1 + hashBytes;
  }
  return entries;
}

/** Throws unless `name` can be a tree entry name (one non-empty segment, no '/', no NUL). */
export function assertEntryName(name: string): void {
  if (
    name.length === 0 ||
    name === '.' ||
    name === '..' ||
    name === '.git' ||
    /[/\0\n]/.test(name)
  ) {
    throw new InvalidGitArgumentError('tree entry name', name);
  }
}

/** Parses `git ls-tree -z` output. */
export function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', oid = ''] = record.slice(0, tab).split(' ');
    entries.push({ mode, type: type as TreeEntryType, oid, name: record.slice(tab + 1) });
  }
  return entries;
}
