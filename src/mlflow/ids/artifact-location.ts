/**
 * Where artifacts are, in MLflow's terms. A run's `artifact_uri` is
 * `mlflow-artifacts:/<experiment id>/<run id>/artifacts`; the client then uploads and downloads
 * through this endpoint at `/api/2.0/mlflow-artifacts/artifacts/<experiment id>/<run id>/artifacts/<path>`.
 * A logged model's artifacts are a folder of its run, so its URI is the run's plus the folder.
 * Paths from clients are checked here once: no `..`, no absolute paths, and ghml's key rule
 * (artifact paths become file names on the tracking branch).
 */
import { keyProblem } from '../../tracking/run-limits.js';
import { invalidParameter } from '../http/mlflow-error.js';

export function runArtifactUri(experimentId: string, runId: string): string {
  return `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
}

/** A location inside the proxied artifact root: the run and the path under its artifacts. */
export interface ArtifactLocation {
  runId: string;
  /** '/'-separated path under the run's artifacts; '' is the run's artifact root. */
  path: string;
}

/**
 * Checks a relative artifact path from a client and returns it normalised without leading or
 * trailing '/'. Throws INVALID_PARAMETER_VALUE for `..`, absolute paths and bad names.
 */
export function checkArtifactPath(path: string): string {
  let decoded = path;
  if (decoded.includes('\\') || decoded.includes('\0')) throw invalidPath(path);
  if (decoded.startsWith('/') || /^[A-Za-z]:/.test(decoded)) throw invalidPath(path);
  decoded = decoded.replace(/\/+$/, '');
  if (decoded === '') return '';
  for (const segment of decoded.split('/')) {
    if (segment === '..' || segment === '.' || segment === '') throw invalidPath(path);
  }
  const problem = keyProblem(decoded);
  if (problem !== undefined) {
    throw invalidParameter(
      `Invalid artifact path '${path}': ${problem}.`,
      "artifact paths are file names on the tracking branch: use letters, digits, '_', '-', '.', ' ' and '/'",
    );
  }
  return decoded;
}

function invalidPath(path: string) {
  return invalidParameter(`Invalid path: '${path}'`, "use a relative path without '..'");
}

/**
 * Parses a path under the proxied artifact root (`<experiment id>/<run id>/artifacts/<path>`).
 * Returns undefined for a path that is not inside a run's artifacts.
 */
export function parseArtifactLocation(rootPath: string): ArtifactLocation | undefined {
  const clean = rootPath.replace(/^\/+/, '');
  const parts = clean.split('/');
  if (parts.length < 3 || parts[2] !== 'artifacts') return undefined;
  const runId = parts[1] as string;
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) return undefined;
  return { runId, path: checkArtifactPath(parts.slice(3).join('/')) };
}
