/**
 * DVC's foreach/do and matrix expansion. A foreach over a list of scalars names members by
 * value (`train@rf`), over a list holding maps or lists by index (`train@0`), over a map by
 * key (with `${key}` set too). A matrix is the product of its lists, each member named by its
 * values joined with '-' (a map or list value by `name<index>`), with `${item.<name>}` and
 * `${key}` set. Each member is read like a plain stage with `item`/`key` added to its vars.
 */
import { isMap, isScalar, type Document } from 'yaml';
import { quote, type Field } from '../../config/yaml-node-reader.js';
import type { DefinitionReader } from './definition-reader.js';
import type { UsedParam, VarsContext } from './interpolation.js';
import { FOREACH_KEYS, readStage, type VarsLoader } from './stage-reader.js';
import type { StageSpec } from './stage-spec.js';

/** Members one definition may expand to; a guard against runaway products. */
export const MAX_MEMBERS = 1000;

function isComposite(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function keyText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** A foreach/matrix source: a `${}` string resolved, or the YAML value itself. */
function sourceValue(
  d: DefinitionReader,
  field: Field,
  context: VarsContext,
  doc: Document,
): unknown {
  const node = field.node;
  if (node === null) return undefined;
  if (isScalar(node) && typeof node.value === 'string') {
    const used: UsedParam[] = [];
    return d.resolveText(field, node.value, context, used, false);
  }
  return node.toJS(doc, { maxAliasCount: 1000 }) as unknown;
}

export function expandStage(
  d: DefinitionReader,
  entry: Field,
  context: VarsContext,
  loadVars: VarsLoader,
  doc: Document,
): StageSpec[] {
  const { r } = d;
  const node = entry.node;
  const isForeach = node !== null && isMap(node) && node.has('foreach');
  const isMatrix = node !== null && isMap(node) && node.has('matrix');
  const plain = (spec: StageSpec | undefined): StageSpec[] => (spec ? [spec] : []);
  if (!isForeach && !isMatrix) {
    return plain(
      readStage(
        d,
        { name: entry.key, group: entry.key, member: null, matrix: null, field: entry, context },
        loadVars,
      ),
    );
  }
  if (isForeach && isMatrix) {
    r.report(entry, 'has both foreach and matrix', 'use one of them', true);
    return [];
  }

  const members: Array<{ key: string; item: unknown; matrix: Record<string, string> | null }> = [];
  let template: Field;
  let extraKeys: string[] = [];
  if (isForeach) {
    const entries = r.entries(entry, [...FOREACH_KEYS], 'foreach: and do:');
    const foreachField = r.pick(entry, entries, 'foreach');
    template = r.pick(entry, entries, 'do');
    if (template.node === null) {
      r.report(
        template,
        'is required with foreach: the stage to repeat',
        'add do: with cmd, deps and outs',
      );
      return [];
    }
    const data = sourceValue(d, foreachField, context, doc);
    if (data === undefined) return [];
    if (Array.isArray(data)) {
      const byIndex = data.some(isComposite);
      data.forEach((item, i) =>
        members.push({ key: byIndex ? String(i) : keyText(item), item, matrix: null }),
      );
    } else if (isComposite(data)) {
      for (const [key, item] of Object.entries(data as Record<string, unknown>)) {
        members.push({ key, item, matrix: null });
      }
    } else {
      r.report(
        foreachField,
        `must be a list or a map, got ${quote(keyText(data))}`,
        'write a list (foreach: [a, b]) or a map, or ${name} of one in vars/params.yaml',
      );
      return [];
    }
  } else {
    template = entry;
    extraKeys = ['matrix'];
    const matrixField = r.pick(entry, r.entries(entry, null, 'a stage') ?? [], 'matrix');
    const dims: Array<{ name: string; values: unknown[] }> = [];
    for (const dim of r.entries(matrixField, null, 'a mapping of names to lists of values') ?? []) {
      const values = sourceValue(d, dim, context, doc);
      if (values === undefined) continue;
      if (!Array.isArray(values) || values.length === 0) {
        r.report(dim, 'must be a non-empty list of values', `write ${dim.key}: [a, b]`);
        continue;
      }
      dims.push({ name: dim.key, values });
    }
    if (dims.length === 0) {
      if (r.problems.length === 0)
        r.report(
          matrixField,
          'must list at least one name with values',
          'write matrix: {model: [rf, knn]}',
        );
      return [];
    }
    let combos: Array<{ fragments: string[]; item: Record<string, unknown> }> = [
      { fragments: [], item: {} },
    ];
    for (const dim of dims) {
      const next: typeof combos = [];
      for (const combo of combos) {
        dim.values.forEach((value, i) => {
          next.push({
            fragments: [
              ...combo.fragments,
              isComposite(value) ? `${dim.name}${i}` : keyText(value),
            ],
            item: { ...combo.item, [dim.name]: value },
          });
        });
        if (next.length > MAX_MEMBERS) break;
      }
      combos = next;
      if (combos.length > MAX_MEMBERS) break;
    }
    for (const combo of combos) {
      const matrix: Record<string, string> = {};
      for (const [k, v] of Object.entries(combo.item))
        matrix[k] = isComposite(v) ? JSON.stringify(v) : keyText(v);
      members.push({ key: combo.fragments.join('-'), item: combo.item, matrix });
    }
  }
  if (members.length > MAX_MEMBERS) {
    r.report(
      entry,
      `expands to more than ${MAX_MEMBERS} stages`,
      'split the values over several stages, or iterate inside the command',
      true,
    );
    return [];
  }
  const out: StageSpec[] = [];
  for (const member of members) {
    const memberContext = context.child();
    memberContext.set('item', member.item, null, true);
    memberContext.set('key', member.key, null, true);
    const spec = readStage(
      d,
      {
        name: `${entry.key}@${member.key}`,
        group: entry.key,
        member: member.key,
        matrix: member.matrix,
        field: template,
        context: memberContext,
      },
      loadVars,
      extraKeys,
    );
    if (spec !== undefined) out.push(spec);
  }
  return out;
}
