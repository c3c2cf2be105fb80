/** Param diffs between a base run and a head run. */
import type { ParamChange } from './comparison-types.js';
import { compareKeys } from './metric-diff.js';

export interface ParamDiff {
  /** Params whose value differs or that exist on one side only, sorted by key. */
  changed: ParamChange[];
  /** Every param of either run, sorted by key (for `--all`). */
  all: ParamChange[];
  /** Params equal on both sides. */
  unchangedCount: number;
}

/**
 * Compares params. With no base run (`base` null) nothing is "changed": there is nothing to
 * compare with, so `changed` is empty and `all` lists the head params with `base: null`.
 */
export function diffParams(
  base: Record<string, string> | null,
  head: Record<string, string>,
): ParamDiff {
  const keys = [...new Set([...Object.keys(head), ...Object.keys(base ?? {})])].sort(compareKeys);
  const all: ParamChange[] = [];
  const changed: ParamChange[] = [];
  let unchangedCount = 0;
  for (const key of keys) {
    const change: ParamChange = { key, base: valueOf(base, key), head: valueOf(head, key) };
    all.push(change);
    if (base === null) continue;
    if (change.base === change.head) unchangedCount++;
    else changed.push(change);
  }
  return { changed, all, unchangedCount };
}

function valueOf(params: Record<string, string> | null, key: string): string | null {
  return params !== null && Object.hasOwn(params, key) ? (params[key] ?? null) : null;
}
