/**
 * The rule for artifact paths, wherever they come from (the run's folder, a pending record, a
 * manifest read from a registry): relative, '/'-separated, no empty, '.' or '..' segment, no
 * backslash or control character, at most 1024 characters. A path that passes cannot leave the
 * folder it is joined to; `resolveInside` checks that again after joining.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UnsafeArtifactPathError } from './artifact-errors.js';

export const MAX_ARTIFACT_PATH = 1024;

/** Why `path` is not a safe artifact path, or undefined when it is. */
export function artifactPathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.length > MAX_ARTIFACT_PATH) return `is longer than ${MAX_ARTIFACT_PATH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'contains a control character';
  if (path.includes('\\')) return "contains '\\'";
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  for (const segment of path.split('/')) {
    if (segment === '..') return "contains a '..' segment";
    if (segment === '.') return "contains a '.' segment";
    if (segment === '') return "contains an empty segment (a leading, trailing or double '/')";
  }
  return undefined;
}

/** Throws UnsafeArtifactPathError unless `path` is safe; `where` names its origin. */
export function assertArtifactPath(path: string, where: string): string {
  const problem = artifactPathProblem(path);
  if (problem !== undefined) throw new UnsafeArtifactPathError(path, problem, where);
  return path;
}

/** `root/path`, after checking the path and that the result stays under `root`. */
export function resolveInside(root: string, path: string, where: string): string {
  assertArtifactPath(path, where);
  const base = resolve(root);
  const target = resolve(base, ...path.split('/'));
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new UnsafeArtifactPathError(path, 'leaves the destination folder', where);
  }
  return target;
}
