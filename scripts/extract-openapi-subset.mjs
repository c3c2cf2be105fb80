#!/usr/bin/env node
// Regenerates test/support/github-openapi/api.github.com.subset.json: the operations the GitHub
// emulator serves, copied from the installed @octokit/openapi package's dereferenced description.
// Prose (descriptions, examples) is dropped to keep the file small; schemas are kept verbatim.
//
//   node scripts/extract-openapi-subset.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const packageDir = dirname(require.resolve('@octokit/openapi/package.json'));
const packageVersion = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
const source = 'generated/api.github.com.deref.json';
const spec = JSON.parse(readFileSync(join(packageDir, source), 'utf8'));

/** The operations the emulator serves, by path then method. Keep in sync with its routes. */
const OPERATIONS = {
  '/user': ['get'],
  '/rate_limit': ['get'],
  '/repos/{owner}/{repo}/issues/{issue_number}/comments': ['get', 'post'],
  '/repos/{owner}/{repo}/issues/comments/{comment_id}': ['get', 'patch', 'delete'],
  '/repos/{owner}/{repo}/pulls/{pull_number}': ['get'],
  '/repos/{owner}/{repo}/pulls/{pull_number}/commits': ['get'],
  '/repos/{owner}/{repo}/commits/{ref}': ['get'],
  '/repos/{owner}/{repo}/compare/{basehead}': ['get'],
  '/repos/{owner}/{repo}/statuses/{sha}': ['post'],
  '/repos/{owner}/{repo}/commits/{ref}/statuses': ['get'],
  '/repos/{owner}/{repo}/commits/{ref}/status': ['get'],
  '/repos/{owner}/{repo}/releases': ['get', 'post'],
  '/repos/{owner}/{repo}/releases/{release_id}': ['get', 'patch', 'delete'],
  '/repos/{owner}/{repo}/releases/tags/{tag}': ['get'],
  '/repos/{owner}/{repo}/releases/{release_id}/assets': ['get', 'post'],
  '/repos/{owner}/{repo}/releases/assets/{asset_id}': ['get', 'patch', 'delete'],
  '/repos/{owner}/{repo}/deployments': ['get', 'post'],
  '/repos/{owner}/{repo}/deployments/{deployment_id}': ['get', 'delete'],
  '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses': ['get', 'post'],
  '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}': ['get'],
};

const PROSE = new Set([
  'description',
  'summary',
  'example',
  'examples',
  'externalDocs',
  'x-github',
]);
// Objects whose keys are names (property names, status codes, media types), never keywords.
const NAME_MAPS = new Set(['properties', 'responses', 'headers', 'content', 'patternProperties']);

function strip(value, keyIsNameMap = false) {
  if (Array.isArray(value)) return value.map((item) => strip(item));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, child] of Object.entries(value)) {
    if (!keyIsNameMap && PROSE.has(key)) continue;
    out[key] = strip(child, !keyIsNameMap && NAME_MAPS.has(key));
  }
  return out;
}

const paths = {};
for (const [path, methods] of Object.entries(OPERATIONS)) {
  const item = spec.paths[path];
  if (!item) throw new Error(`${path} is not in @octokit/openapi ${packageVersion}`);
  paths[path] = {};
  for (const method of methods) {
    const operation = item[method];
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in the description`);
    const { operationId, parameters = [], requestBody, responses, servers } = operation;
    paths[path][method] = strip({
      operationId,
      ...(servers ? { servers } : {}),
      parameters: [...(item.parameters ?? []), ...parameters],
      ...(requestBody ? { requestBody } : {}),
      responses,
    });
  }
}

const subset = {
  openapi: spec.openapi,
  info: {
    title: 'Subset of GitHub REST API description served by the ghml GitHub emulator',
    version: spec.info.version,
    'x-source': `@octokit/openapi@${packageVersion} ${source}`,
  },
  servers: spec.servers,
  paths,
};

const out = join(root, 'test/support/github-openapi/api.github.com.subset.json');
writeFileSync(out, JSON.stringify(subset, null, 1) + '\n');
const count = Object.values(OPERATIONS).flat().length;
console.log(`wrote ${count} operations from @octokit/openapi@${packageVersion} to ${out}`);
