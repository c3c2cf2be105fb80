/**
 * Formatting and links shared by the views: times, durations, metric settings (ghml.yml's, else
 * the defaults for the metric's name, exactly as `ghml compare` uses them) and web links to the
 * repository on GitHub. Run data is untrusted: links are built only from checked parts.
 */
import { defaultMetricSettings } from '../../src/config/config-defaults.js';
import type { MetricSettings } from '../../src/config/config-types.js';
import { workflowUrlOf } from '../../src/compare/run-ref.js';
import type { SiteManifest } from '../../src/site/data/site-data-format.js';
import type { RunRecord } from '../../src/tracking/run-record.js';

const SHA = /^[0-9a-f]{40}$/;

export function formatTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

export function formatDuration(run: RunRecord): string {
  if (run.endTime === null) return '-';
  const seconds = Math.max(0, (run.endTime - run.startTime) / 1000);
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.round((seconds % 3600) / 60)}m`;
}

/** A number exactly as stored (JavaScript's shortest round-trip form), NaN and ±Infinity spelled out. */
export function exact(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return String(value);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function settingsFor(
  manifest: SiteManifest,
  experiment: string,
  key: string,
): MetricSettings {
  const exp = manifest.experiments.find((e) => e.name === experiment);
  if (exp && Object.hasOwn(exp.metrics, key)) return exp.metrics[key] as MetricSettings;
  return defaultMetricSettings(key);
}

function repoBase(manifest: SiteManifest): string | undefined {
  const repo = manifest.repository;
  if (repo === null) return undefined;
  return `${repo.serverUrl}/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
}

export function commitUrl(manifest: SiteManifest, sha: string): string | undefined {
  const base = repoBase(manifest);
  return base !== undefined && SHA.test(sha) ? `${base}/commit/${sha}` : undefined;
}

export function pullUrl(manifest: SiteManifest, run: RunRecord): string | undefined {
  const n = run.github?.prNumber;
  const base = repoBase(manifest);
  if (base === undefined || typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
    return undefined;
  return `${base}/pull/${n}`;
}

export function releaseUrl(manifest: SiteManifest, tag: string): string | undefined {
  const base = repoBase(manifest);
  return base === undefined ? undefined : `${base}/releases/tag/${encodeURIComponent(tag)}`;
}

export { workflowUrlOf };

/** A word in single quotes for a POSIX shell ('it'\''s'). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
