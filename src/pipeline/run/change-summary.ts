/** One line saying why a stage runs: "changed deps: data.csv (modified)", or "never ran". */
import { isEmpty, type StageCheck } from '../state/stage-status.js';

export function describeChanges(check: StageCheck): string {
  const { changes } = check;
  if (check.neverRan) return 'never ran';
  const parts: string[] = [];
  if (isEmpty(changes) && !check.upToDate) parts.push('never ran');
  if (changes.command) parts.push('changed command');
  if (changes.alwaysChanged) parts.push('always changed');
  const deps = Object.entries(changes.deps);
  if (deps.length > 0) parts.push(`changed deps: ${list(deps.map(([p, c]) => `${p} (${c})`))}`);
  const params = Object.entries(changes.params).flatMap(([file, keys]) =>
    Object.entries(keys).map(([k, c]) => `${file}:${k} (${c})`),
  );
  if (params.length > 0) parts.push(`changed params: ${list(params)}`);
  const outs = Object.entries(changes.outs);
  if (outs.length > 0) parts.push(`changed outs: ${list(outs.map(([p, c]) => `${p} (${c})`))}`);
  return parts.length > 0 ? parts.join('; ') : 'never ran';
}

function list(items: string[]): string {
  return items.length <= 3
    ? items.join(', ')
    : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}
