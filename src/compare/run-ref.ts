/** A run as shown in a report: id, commit, matrix key and a link to its workflow run. */
import type { RunRecord } from '../tracking/run-record.js';
import type { RunRef } from './comparison-types.js';
import { matrixKeyOf } from './matrix-key.js';

const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;
const DIGITS = /^[0-9]{1,20}$/;

export function toRunRef(run: RunRecord): RunRef {
  return {
    id: run.id,
    commit: run.source.commit,
    matrixKey: matrixKeyOf(run),
    workflowUrl: workflowUrlOf(run),
  };
}

/**
 * `<server>/<owner>/<repo>/actions/runs/<id>`, or null. The record comes from a PR, so every
 * part is checked: only an http(s) server, a plain owner/name and a numeric run id make a link.
 */
export function workflowUrlOf(run: RunRecord): string | null {
  const github = run.github;
  if (!github || !REPOSITORY.test(github.repository) || !DIGITS.test(github.runId)) return null;
  let server: URL;
  try {
    server = new URL(github.serverUrl);
  } catch {
    return null;
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') return null;
  if (
    server.username !== '' ||
    server.password !== '' ||
    server.search !== '' ||
    server.hash !== ''
  ) {
    return null;
  }
  const base = server.href.replace(/\/+$/, '');
  return `${base}/${github.repository}/actions/runs/${github.runId}`;
}
