/**
 * The model card: the Markdown body of a model version's GitHub release. Metrics, params,
 * lineage (commit, PR, run, workflow run), the files with sha256 and size, and how to
 * download them. Names and values come from PRs, so every one is escaped; links are only
 * built from validated parts or through `markdownLink` (http(s), percent-encoded).
 */
import { formatBytes } from '../../text/format-number.js';
import { formatCommentMarker } from '../../report/comment-marker.js';
import { formatValue } from '../../text/format-number.js';
import { escapeMarkdown } from '../../text/markdown-escape.js';
import { markdownLink } from '../../text/markdown-link.js';
import { workflowRunUrl } from '../../tracking/ingest/github-context.js';
import type { RunRecord } from '../../tracking/run-record.js';
import { runPath } from '../../tracking/store/run-path.js';
import type { RepoRef } from '../../github/repo-ref.js';
import type { TagMetadata } from '../tags/tag-message.js';

/** The hidden marker that starts ghml's part of a release body. */
export const MODEL_CARD_MARKER = formatCommentMarker('model-card', 'v1');

/** Caps keep a card far below GitHub's 125,000-character release body limit. */
const MAX_ROWS = 200;

/** Everything a card shows. */
export interface ModelCardInput {
  model: string;
  version: string;
  tag: string;
  commit: string;
  /** One line from ghml.yml (`registry.models.<name>.description`). */
  description?: string | null;
  /** Free text from ghml.yml, e.g. 'sklearn'. */
  type?: string | null;
  /** The tag message's metadata (run id, experiment, metrics, params digest). */
  metadata: TagMetadata;
  /** The run, for params and its GitHub context. */
  run?: RunRecord;
  /** The files: release asset names, or paths inside a registered folder. */
  files: ReadonlyArray<{ name: string; sha256: string; size: number; attached?: boolean }>;
  /** A folder registered whole, and its attached archive (absent when it is too large). */
  folder?: { path: string; archive?: { name: string; sha256: string; size: number } };
  /** The version in the artifact store. */
  store?: { reference: string; digest: string };
  /** For links; without it the card has no links. */
  repository?: { serverUrl: string; repo: RepoRef };
  /** Tracking branch, for the link to the run's folder. Default 'ghml/runs'. */
  trackingBranch?: string;
  /** Digits shown for a metric (default 4). */
  precision?: (metric: string) => number;
}

/** Renders the card. Pure: the same input always gives the same text. */
export function renderModelCard(input: ModelCardInput): string {
  const lines: string[] = [MODEL_CARD_MARKER, `# ${input.model} ${input.version}`, ''];
  if (input.description) lines.push(escapeMarkdown(input.description, { maxLength: 1000 }), '');
  if (input.type) lines.push(`Type: ${escapeMarkdown(input.type)}`, '');

  lines.push(...metricsSection(input), ...paramsSection(input), ...lineageSection(input));
  lines.push(...filesSection(input), ...storeSection(input), ...downloadSection(input));
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/**
 * A release body with ghml's card: text a person wrote above the marker (a release drafted
 * in GitHub's web UI) is kept, and any older card is replaced.
 */
export function mergeReleaseBody(existing: string, card: string): string {
  const at = existing.indexOf(MODEL_CARD_MARKER);
  const own = (at < 0 ? existing : existing.slice(0, at)).trimEnd();
  return own === '' ? card : `${own}\n\n${card}`;
}

function metricsSection(input: ModelCardInput): string[] {
  const metrics = Object.entries(input.metadata.metrics ?? {}).sort(([a], [b]) => compare(a, b));
  if (metrics.length === 0) return ['## Metrics', '', 'No metrics were recorded.', ''];
  const precision = input.precision ?? (() => 4);
  const rows = metrics
    .slice(0, MAX_ROWS)
    .map(([key, value]) => `| ${escapeMarkdown(key)} | ${formatValue(value, precision(key))} |`);
  return ['## Metrics', '', '| Metric | Value |', '| --- | ---: |', ...rows, ...more(metrics), ''];
}

function paramsSection(input: ModelCardInput): string[] {
  const params = Object.entries(input.run?.params ?? {}).sort(([a], [b]) => compare(a, b));
  if (params.length === 0) return [];
  const rows = params
    .slice(0, MAX_ROWS)
    .map(([key, value]) => `| ${escapeMarkdown(key)} | ${escapeMarkdown(value)} |`);
  return ['## Params', '', '| Param | Value |', '| --- | --- |', ...rows, ...more(params), ''];
}

function lineageSection(input: ModelCardInput): string[] {
  const where = input.repository;
  const base =
    where === undefined
      ? undefined
      : `${where.serverUrl}/${encodeURIComponent(where.repo.owner)}/${encodeURIComponent(where.repo.repo)}`;
  const sha = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(input.commit) ? input.commit : '';
  const lines = ['## Lineage', ''];
  lines.push(
    `- Commit: ${markdownLink(`\`${sha.slice(0, 12)}\``, base && sha && `${base}/commit/${sha}`)}`,
  );
  const pr = input.run?.github?.prNumber;
  if (pr !== undefined && Number.isSafeInteger(pr) && pr > 0) {
    lines.push(`- Pull request: ${markdownLink(`#${pr}`, base && `${base}/pull/${pr}`)}`);
  }
  const { runId, experiment } = input.metadata;
  if (runId !== undefined && /^[0-9A-Z]{26}$/.test(runId)) {
    const exp = experiment ?? input.run?.experiment;
    let link: string | undefined;
    if (base && exp !== undefined && sha) {
      const branch = encodeURIComponent(input.trackingBranch ?? 'ghml/runs').replace(/%2F/g, '/');
      try {
        link = `${base}/tree/${branch}/${runPath(exp, sha, runId)}`;
      } catch {
        link = undefined;
      }
    }
    const label = `run \`${runId}\``;
    const expText = exp === undefined ? '' : ` (experiment ${escapeMarkdown(exp)})`;
    lines.push(`- Run: ${markdownLink(label, link)}${expText}`);
  }
  const github = input.run?.github;
  const workflow = github ? workflowRunUrl(github) : null;
  if (github && workflow) {
    const name = github.workflow ? escapeMarkdown(github.workflow) : 'workflow run';
    lines.push(`- Workflow run: ${markdownLink(name, workflow)}`);
  }
  const digest = input.metadata.paramsDigest;
  if (digest !== undefined && /^[0-9a-f]{64}$/.test(digest)) {
    lines.push(`- Params digest: \`${digest.slice(0, 16)}\``);
  }
  lines.push('');
  return lines;
}

function filesSection(input: ModelCardInput): string[] {
  if (input.files.length === 0) return ['## Files', '', 'No model files were attached.', ''];
  const rows = input.files
    .slice(0, MAX_ROWS)
    .map((f) => `| ${escapeMarkdown(f.name)} | ${formatBytes(f.size)} | ${shaCell(f.sha256)} |`);
  const lines = ['## Files', ''];
  const folder = input.folder;
  if (folder !== undefined) {
    const path = `\`${escapeMarkdown(folder.path)}\``;
    lines.push(
      folder.archive === undefined
        ? `The folder ${path}, registered whole, is too large for a release asset: it is in the artifact store (below).`
        : `The folder ${path} is attached whole as ${escapeMarkdown(folder.archive.name)} ` +
            `(${formatBytes(folder.archive.size)}, sha256 ${shaCell(folder.archive.sha256)}), with these files:`,
      '',
    );
  }
  lines.push('| File | Size | sha256 |', '| --- | ---: | --- |', ...rows, ...more(input.files), '');
  const linked = folder === undefined ? input.files.filter((f) => f.attached === false) : [];
  if (linked.length > 0) {
    lines.push(
      `Not attached, too large for a release asset (in the artifact store): ${linked
        .slice(0, MAX_ROWS)
        .map((f) => escapeMarkdown(f.name))
        .join(', ')}.`,
      '',
    );
  }
  return lines;
}

function shaCell(sha256: string): string {
  return /^[0-9a-f]{64}$/.test(sha256) ? `\`${sha256}\`` : '-';
}

/** References are built by ghml from checked names; anything else is left out. */
const STORE_REFERENCE =
  /^oci:\/\/[A-Za-z0-9.:[\]-]+\/[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function storeSection(input: ModelCardInput): string[] {
  const store = input.store;
  if (store === undefined || !STORE_REFERENCE.test(store.reference)) return [];
  if (!/^sha256:[0-9a-f]{64}$/.test(store.digest)) return [];
  return [
    '## Artifact store',
    '',
    `- Version: \`${store.reference}\``,
    `- Manifest: \`${store.digest}\` (the run's files, mounted, not copied)`,
    '',
  ];
}

function downloadSection(input: ModelCardInput): string[] {
  const lines = ['## Download', '', '```sh', `ghml model get ${input.model}@${input.version}`];
  // The tag and repository were validated against strict grammars: safe in a code block.
  const store = input.store;
  if (store !== undefined && STORE_REFERENCE.test(store.reference)) {
    lines.push(`oras pull ${store.reference.slice('oci://'.length)}`);
  }
  if (input.repository) {
    const { owner, repo } = input.repository.repo;
    lines.push(`gh release download ${input.tag} --repo ${owner}/${repo}`);
  }
  lines.push('```', '');
  return lines;
}

function more(rows: readonly unknown[]): string[] {
  return rows.length > MAX_ROWS ? ['', `…and ${rows.length - MAX_ROWS} more.`] : [];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
