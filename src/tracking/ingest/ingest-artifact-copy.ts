/**
 * Copies a file or folder into the artifacts folder, the Node twin of ghml_log.log_artifact
 * (used by `ghml log artifact`). Returns the artifact paths to announce with artifact events.
 */
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../../errors/ghml-error.js';
import { validateKey } from '../run-limits.js';

/**
 * Copies `localPath` to `<artifactsDir>/<artifactPath>/<basename>` (`artifactPath` is a folder
 * inside the artifacts, as in MLflow). Folders are copied recursively. Every resulting path is
 * validated before anything is copied.
 */
export async function copyArtifact(
  localPath: string,
  artifactsDir: string,
  artifactPath?: string,
): Promise<string[]> {
  let info;
  try {
    info = await stat(localPath);
  } catch {
    throw new UsageError(`Cannot log artifact '${localPath}': no such file or folder.`, {
      hint: 'pass the path of a file or folder that exists',
    });
  }
  const prefix =
    artifactPath === undefined || artifactPath === '' ? '' : `${artifactPath.replace(/\/+$/, '')}/`;
  const base = `${prefix}${basename(localPath)}`;
  const pairs: Array<[string, string]> = [];
  if (info.isDirectory()) await listFiles(localPath, base, pairs, 0);
  else if (info.isFile()) pairs.push([localPath, base]);
  else {
    throw new UsageError(`Cannot log artifact '${localPath}': not a regular file or folder.`, {
      hint: 'log regular files or folders',
    });
  }
  for (const [, rel] of pairs) validateKey(rel, 'artifact path');
  for (const [from, rel] of pairs) {
    const to = join(artifactsDir, ...rel.split('/'));
    await mkdir(join(to, '..'), { recursive: true });
    await copyFile(from, to);
  }
  return pairs.map(([, rel]) => rel);
}

async function listFiles(
  dir: string,
  rel: string,
  out: Array<[string, string]>,
  depth: number,
): Promise<void> {
  if (depth > 64) return;
  const dirents = await readdir(dir, { withFileTypes: true });
  for (const d of dirents) {
    if (d.isDirectory()) await listFiles(join(dir, d.name), `${rel}/${d.name}`, out, depth + 1);
    else if (d.isFile()) out.push([join(dir, d.name), `${rel}/${d.name}`]);
  }
}
