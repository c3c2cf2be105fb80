/**
 * Where the real registry's filesystem driver keeps things, so a test can damage or remove a
 * stored blob the way a failing disk or an over-eager garbage collector would.
 */
import { join } from 'node:path';

/** The data file of blob `sha256` (hex) under the registry's storage folder. */
export function blobDataPath(storageDir: string, sha256: string): string {
  return join(
    storageDir,
    'docker',
    'registry',
    'v2',
    'blobs',
    'sha256',
    sha256.slice(0, 2),
    sha256,
    'data',
  );
}
