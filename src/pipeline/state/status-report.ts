/**
 * `ghml status` in `dvc status`'s shape: per stage that would run, `changed command`,
 * `changed deps` (params nested under their file), `changed outs` and `always changed`;
 * as text with tab indents and DVC's padded status words, or as DVC's JSON.
 */
import type { StageChanges } from './stage-status.js';

export type StatusEntry = string | Record<string, Record<string, unknown>>;

/** DVC's JSON shape of one stage's changes; empty when nothing changed. */
export function statusEntries(changes: StageChanges, neverRan: boolean): StatusEntry[] {
  const entries: StatusEntry[] = [];
  const deps: Record<string, unknown> = { ...changes.deps };
  for (const [file, keys] of Object.entries(changes.params)) deps[file] = { ...keys };
  if (Object.keys(deps).length > 0) entries.push({ 'changed deps': deps });
  if (Object.keys(changes.outs).length > 0) entries.push({ 'changed outs': { ...changes.outs } });
  if (changes.alwaysChanged) entries.push('always changed');
  if (changes.command) entries.push('changed command');
  if (entries.length === 0 && neverRan) entries.push('never ran');
  return entries;
}

const WIDTH = 20;

function pad(word: string): string {
  const label = `${word}:`;
  return label.length >= WIDTH ? `${label} ` : label + ' '.repeat(WIDTH - label.length);
}

/** Text like `dvc status`; '' when every stage is up to date. */
export function formatStatus(status: ReadonlyArray<[string, StatusEntry[]]>): string {
  const lines: string[] = [];
  const show = (value: unknown, indent: number): void => {
    const tab = '\t'.repeat(indent);
    if (typeof value === 'string') {
      lines.push(`${tab}${value}`);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) show(item, indent);
      return;
    }
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (typeof inner === 'string') lines.push(`${tab}${pad(inner)}${key}`);
      else {
        lines.push(`${tab}${key}:`);
        show(inner, indent + 1);
      }
    }
  };
  for (const [stage, entries] of status) {
    if (entries.length === 0) continue;
    lines.push(`${stage}:`);
    show(entries, 1);
  }
  return lines.join('\n');
}
