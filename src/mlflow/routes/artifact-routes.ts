/**
 * The artifact proxy (`mlflow-artifacts/artifacts/<experiment id>/<run id>/artifacts/<path>`:
 * PUT, GET, DELETE, and the listing `mlflow-artifacts/artifacts?path=`) and the 2.0
 * `artifacts/list?run_id=&path=`. Paths are checked before anything is read or written.
 */
import { invalidParameter } from '../http/mlflow-error.js';
import { optionalString, requestRunId } from '../http/request-input.js';
import type { Router } from '../http/router.js';
import { checkArtifactPath, parseArtifactLocation } from '../ids/artifact-location.js';
import type { MlflowServices } from '../mlflow-services.js';
import {
  deleteArtifact,
  listArtifacts,
  readArtifact,
  uploadArtifact,
} from '../runs/run-artifacts.js';

function location(rootPath: string) {
  checkArtifactPath(rootPath);
  const parsed = parseArtifactLocation(rootPath);
  if (parsed === undefined) {
    throw invalidParameter(
      `Invalid artifact path '${rootPath}': ghml serves run artifacts at <experiment id>/<run id>/artifacts/<path>.`,
    );
  }
  return parsed;
}

export function addArtifactRoutes(router: Router, services: MlflowServices): void {
  const { runs } = services;

  router.add('PUT', '/mlflow-artifacts/artifacts/*', async (req) => {
    const { runId, path } = location(req.params.tail ?? '');
    const state = await runs.writable(runId);
    await uploadArtifact(state, path, req.raw, services.maxUploadBytes);
    return { json: {} };
  });

  router.add('GET', '/mlflow-artifacts/artifacts/*', async (req) => {
    const { runId, path } = location(req.params.tail ?? '');
    const { stream, size } = await readArtifact(await runs.find(runId), path, services);
    return { stream, size, contentType: 'application/octet-stream' };
  });

  router.add('DELETE', '/mlflow-artifacts/artifacts/*', async (req) => {
    const { runId, path } = location(req.params.tail ?? '');
    await deleteArtifact(await runs.writable(runId), path);
    return { json: {} };
  });

  router.add('GET', '/mlflow-artifacts/artifacts', async (req) => {
    const rootPath = optionalString(await req.fields(), 'path') ?? '';
    const clean = checkArtifactPath(rootPath);
    const parts = clean === '' ? [] : clean.split('/');
    // Above a run's artifact root the tree is <experiment id>/<run id>/artifacts: list nothing
    // rather than every run.
    if (parts.length < 3) {
      if (parts.length === 2) return { json: { files: [{ path: 'artifacts', is_dir: true }] } };
      return { json: {} };
    }
    const { runId, path } = location(clean);
    const found = await runs.find(runId);
    const files = (await listArtifacts(found, path)).map((f) => ({
      ...f,
      path: f.path.slice(f.path.lastIndexOf('/') + 1),
    }));
    return { json: files.length === 0 ? {} : { files } };
  });

  router.add('GET', '/mlflow/artifacts/list', async (req) => {
    const fields = await req.fields();
    const runId = requestRunId(fields);
    const path = checkArtifactPath(optionalString(fields, 'path') ?? '');
    const found = await runs.find(runId);
    const view = await runs.view(runId);
    const files = await listArtifacts(found, path);
    return { json: { root_uri: view.info.artifact_uri, ...(files.length === 0 ? {} : { files }) } };
  });
}
