/**
 * Reads one stage mapping (a plain stage, or the template of a foreach/matrix member) into a
 * StageSpec, resolving `${}` against the member's vars. DVC's stage keys are accepted as DVC
 * documents them; `experiment` is ghml's one addition. Problems go to the reader.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { EXPERIMENT_NAME } from '../../config/name-rules.js';
import { quote, type Field } from '../../config/yaml-node-reader.js';
import type { DefinitionReader } from './definition-reader.js';
import type { UsedParam, VarsContext } from './interpolation.js';
import type { DependencySpec, OutputSpec, ParamsSpec, StageSpec } from './stage-spec.js';

/** Keys of a stage (DVC's, plus ghml's `experiment`). */
export const STAGE_KEYS = [
  'cmd',
  'wdir',
  'deps',
  'params',
  'outs',
  'metrics',
  'plots',
  'frozen',
  'always_changed',
  'desc',
  'meta',
  'vars',
  'experiment',
] as const;
/** Keys of a stage that is expanded (`foreach` + `do`, or `matrix` + the stage keys). */
export const FOREACH_KEYS = ['foreach', 'do'] as const;
const OUTPUT_KEYS = [
  'cache',
  'persist',
  'desc',
  'remote',
  'push',
  'checkpoint',
  'type',
  'labels',
  'meta',
];
const PLOT_KEYS = [...OUTPUT_KEYS, 'template', 'x', 'y', 'x_label', 'y_label', 'title', 'header'];
export const DEFAULT_PARAMS_FILE = 'params.yaml';

const PATH_FIX = 'write a path relative to the stage (its wdir), e.g. data/prepared.csv';

/** What a stage reads from the world outside its mapping. */
export interface StageReadInput {
  name: string;
  group: string;
  member: string | null;
  matrix: Record<string, string> | null;
  field: Field;
  context: VarsContext;
}

/** Reads vars declared in a list (`vars:`), adding them to `context`. */
export type VarsLoader = (field: Field, context: VarsContext) => void;

export function readStage(
  d: DefinitionReader,
  input: StageReadInput,
  loadVars: VarsLoader,
  extraKeys: readonly string[] = [],
): StageSpec | undefined {
  const { r } = d;
  const { field } = input;
  const entries = r.entries(
    field,
    [...STAGE_KEYS, ...extraKeys],
    'a mapping of stage settings (cmd, deps, outs, ...)',
  );
  if (entries === undefined) return undefined;
  const pick = (key: string): Field => r.pick(field, entries, key);
  let context = input.context;
  const varsField = pick('vars');
  if (varsField.node !== null) {
    context = context.child();
    loadVars(varsField, context);
  }
  const used: UsedParam[] = [];

  const cmdField = pick('cmd');
  const cmd: string[] = [];
  if (cmdField.node === null) {
    r.report(
      cmdField,
      'is required: the command the stage runs',
      `add cmd: under ${input.group}, e.g. cmd: python train.py`,
    );
  } else {
    for (const item of r.list(cmdField, 'a command or a list of commands') ?? []) {
      const text = d.resolvedText(item, context, used, {
        what: 'a command',
        fix: 'write the command as text, e.g. python train.py',
        inCmd: true,
      });
      if (text !== undefined && text.trim() !== '') cmd.push(text);
      else if (text !== undefined)
        r.report(item, 'is an empty command', 'write the command to run');
    }
  }

  let wdir = '';
  const wdirField = pick('wdir');
  if (wdirField.node !== null) {
    const text = d.resolvedText(wdirField, context, used, {
      what: 'a folder',
      fix: 'write a folder relative to the definition file, e.g. src',
    });
    if (text !== undefined && text !== '.') wdir = d.projectPath(wdirField, text, '') ?? '';
  }

  const deps: DependencySpec[] = [];
  for (const item of r.list(pick('deps'), 'a list of paths') ?? []) {
    const text = d.resolvedText(item, context, used, { what: 'a path', fix: PATH_FIX });
    if (text === undefined) continue;
    const path = d.projectPath(item, text, wdir);
    if (path !== undefined) deps.push({ path, at: d.position(item) });
  }

  const params = readParams(d, pick('params'), context, used, wdir);
  const outs: OutputSpec[] = [];
  readOutputs(d, pick('outs'), 'out', context, used, wdir, outs);
  readOutputs(d, pick('metrics'), 'metric', context, used, wdir, outs);
  readOutputs(d, pick('plots'), 'plot', context, used, wdir, outs);

  const frozen = r.boolean(pick('frozen')) ?? false;
  const alwaysChanged = r.boolean(pick('always_changed')) ?? false;
  const descField = pick('desc');
  const desc =
    descField.node === null
      ? null
      : (d.resolvedText(descField, context, used, {
          what: 'a description',
          fix: 'write one line',
        }) ?? null);
  let experiment: string | null = null;
  const experimentField = pick('experiment');
  if (experimentField.node !== null) {
    const text = d.resolvedText(experimentField, context, used, {
      what: 'an experiment name',
      fix: 'write an experiment name such as iris',
    });
    if (text !== undefined && EXPERIMENT_NAME.test(text)) experiment = text;
    else if (text !== undefined) {
      r.report(
        experimentField,
        `must be a valid experiment name, got ${quote(text)}`,
        "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }
  }

  // Values read through ${} from params files are params of the stage (DVC's tracked vars).
  for (const use of used) {
    if (typeof use.value === 'object' && use.value !== null) continue;
    const existing = params.find((p) => p.file === use.file);
    if (existing === undefined) {
      params.push({ file: use.file, keys: [use.key], at: d.position(field) });
    } else if (existing.keys !== null && !existing.keys.includes(use.key)) {
      existing.keys.push(use.key);
    }
  }

  return {
    name: input.name,
    group: input.group,
    member: input.member,
    matrix: input.matrix,
    cmd,
    wdir,
    deps,
    params,
    outs,
    frozen,
    alwaysChanged,
    desc,
    experiment,
    at: d.position(field, true),
  };
}

function readParams(
  d: DefinitionReader,
  field: Field,
  context: VarsContext,
  used: UsedParam[],
  wdir: string,
): ParamsSpec[] {
  const { r } = d;
  const byFile = new Map<string, ParamsSpec>();
  const add = (file: string, key: string | null, at: Field): void => {
    const spec = byFile.get(file) ?? { file, keys: [], at: d.position(at) };
    byFile.set(file, spec);
    if (key === null) spec.keys = null;
    else if (spec.keys !== null && !spec.keys.includes(key)) spec.keys.push(key);
  };
  const defaultFile = wdir === '' ? DEFAULT_PARAMS_FILE : `${wdir}/${DEFAULT_PARAMS_FILE}`;
  for (const item of r.list(field, 'a list of param names, or of params-file: [names]') ?? []) {
    if (item.node !== null && isMap(item.node)) {
      for (const entry of r.entries(item, null, 'a mapping of params file to names') ?? []) {
        const fileText = d.resolveText(entry, entry.key, context, used, false, true);
        if (typeof fileText !== 'string') continue;
        const file = d.projectPath(entry, fileText, wdir, true);
        if (file === undefined) continue;
        if (entry.node === null) {
          add(file, null, entry);
          continue;
        }
        const keys = r.list(entry, 'a list of param names') ?? [];
        if (keys.length === 0) add(file, null, entry);
        for (const keyField of keys) {
          const key = d.resolvedText(keyField, context, used, {
            what: 'a param name',
            fix: 'write a dotted param name such as train.lr',
          });
          if (key !== undefined) add(file, key, keyField);
        }
      }
      continue;
    }
    const key = d.resolvedText(item, context, used, {
      what: 'a param name',
      fix: 'write a dotted param name such as train.lr, or params-file.yaml: [names]',
    });
    if (key !== undefined) add(defaultFile, key, item);
  }
  return [...byFile.values()];
}

function readOutputs(
  d: DefinitionReader,
  field: Field,
  kind: OutputSpec['kind'],
  context: VarsContext,
  used: UsedParam[],
  wdir: string,
  outs: OutputSpec[],
): void {
  const { r } = d;
  for (const item of r.list(field, 'a list of paths') ?? []) {
    if (item.node !== null && isMap(item.node)) {
      const entries = r.entries(item, null, 'a mapping of one path to its settings') ?? [];
      if (entries.length !== 1) {
        r.report(
          item,
          `must hold one path, got ${entries.length}`,
          'write each output as its own list item: - path: {cache: false}',
        );
      }
      for (const entry of entries) {
        const text = d.resolveText(entry, entry.key, context, used, false, true);
        if (typeof text !== 'string') continue;
        const path = d.projectPath(entry, text, wdir, true);
        const settings = r.entries(
          entry,
          kind === 'plot' ? PLOT_KEYS : OUTPUT_KEYS,
          'a mapping of output settings',
        );
        const cache = r.boolean(r.pick(entry, settings, 'cache')) ?? true;
        const persist = r.boolean(r.pick(entry, settings, 'persist')) ?? false;
        if (path !== undefined)
          outs.push({ path, kind, cache, persist, at: d.position(entry, true) });
      }
      continue;
    }
    if (item.node !== null && (isSeq(item.node) || !isScalar(item.node as Node))) {
      r.report(item, 'must be a path or a mapping of a path to its settings', PATH_FIX);
      continue;
    }
    const text = d.resolvedText(item, context, used, { what: 'a path', fix: PATH_FIX });
    if (text === undefined) continue;
    const path = d.projectPath(item, text, wdir);
    if (path !== undefined)
      outs.push({ path, kind, cache: true, persist: false, at: d.position(item) });
  }
}
