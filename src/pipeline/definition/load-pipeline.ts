/**
 * Loads the pipeline of a project folder: ghml.yml `stages:` or, when ghml.yml has none,
 * dvc.yaml (with DVC's top-level `vars`). params.yaml, when present, is loaded as vars as DVC
 * does. Every `${}` is resolved, foreach/matrix stages are expanded, and the stage graph is
 * checked; all problems are reported together with file:line, or nothing is returned.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  LineCounter,
  parse as parseYaml,
  parseDocument,
  isMap,
  isScalar,
  type Document,
} from 'yaml';
import { didYouMean } from '../../config/did-you-mean.js';
import { NodeReader, quote, type Field } from '../../config/yaml-node-reader.js';
import { buildGraph, type PipelineGraph } from '../graph/pipeline-graph.js';
import { DefinitionReader } from './definition-reader.js';
import {
  NoPipelineError,
  PipelineDefinitionError,
  UnknownStageError,
  type DefinitionProblem,
} from './definition-errors.js';
import { InterpolationError, VarsContext } from './interpolation.js';
import { expandStage } from './stage-expansion.js';
import { DEFAULT_PARAMS_FILE } from './stage-reader.js';
import type { PipelineDefinition, StageSpec } from './stage-spec.js';

/** ghml.yml keys the pipeline reads (the rest is src/config's). */
const PIPELINE_KEYS = ['name', 'image', 'vars'];
/** dvc.yaml top-level keys; only `stages` and `vars` mean something to ghml. */
const DVC_TOP_KEYS = ['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts', 'datasets'];
const GHML_FILES = ['ghml.yml', 'ghml.yaml'];
const DVC_FILE = 'dvc.yaml';
/** A definition larger than this is refused (it may come from a PR). */
const MAX_DEFINITION_BYTES = 4 * 1024 * 1024;
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** A loaded pipeline: its definition and the checked graph. */
export interface LoadedPipeline {
  definition: PipelineDefinition;
  graph: PipelineGraph;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** A top-level `stages:` key (a cheap look: the file is parsed properly once, later). */
function hasStages(text: string): boolean {
  return /^stages[ \t]*:/m.test(text);
}

/** Finds the definition file of `root`: ghml.yml with stages, else dvc.yaml. */
function findDefinition(root: string): { file: string; text: string; dvc: boolean } {
  for (const name of GHML_FILES) {
    const text = tryRead(join(root, name));
    if (text !== undefined && hasStages(text)) return { file: name, text, dvc: false };
  }
  const dvc = tryRead(join(root, DVC_FILE));
  if (dvc !== undefined) return { file: DVC_FILE, text: dvc, dvc: true };
  throw new NoPipelineError(root);
}

/** Normalises a folder name into a pipeline name ([a-z0-9-]). */
export function defaultPipelineName(root: string): string {
  const name = basename(root)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return name === '' ? 'pipeline' : name;
}

/** Loads and checks the pipeline of the project folder `root`. */
export function loadPipeline(root: string): LoadedPipeline {
  const found = findDefinition(root);
  if (Buffer.byteLength(found.text) > MAX_DEFINITION_BYTES) {
    throw new PipelineDefinitionError([
      {
        file: found.file,
        line: 1,
        column: 1,
        path: '',
        message: `${found.file} is larger than ${MAX_DEFINITION_BYTES} bytes`,
        fix: 'split the pipeline, or move data out of the definition',
      },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(found.text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const r = new NodeReader(doc, lines, found.file);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      r.reportAt(
        error.pos[0],
        `${found.file} is not valid YAML: ${error.message.split('\n')[0] ?? error.code}`,
        'fix the YAML syntax at this position (indentation, quotes, duplicate keys)',
      );
    }
    throw new PipelineDefinitionError(r.problems);
  }
  const d = new DefinitionReader(r, lines, found.file);
  const root_ = r.root();
  const top = r.entries(root_, found.dvc ? DVC_TOP_KEYS : null, 'a mapping');
  const pick = (parent: Field, entries: Field[] | undefined, key: string): Field =>
    r.pick(parent, entries, key);

  let name = defaultPipelineName(root);
  let image: string | null = null;
  let varsField: Field | undefined;
  if (found.dvc) varsField = pick(root_, top, 'vars');
  else {
    const pipeline = pick(root_, top, 'pipeline');
    const settings = r.entries(pipeline, PIPELINE_KEYS, 'a mapping of pipeline settings');
    varsField = pick(pipeline, settings, 'vars');
    const nameField = pick(pipeline, settings, 'name');
    const given = r.text(nameField, 'a pipeline name', 'write a name such as iris-pipeline');
    if (given !== undefined) {
      if (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(given)) name = given;
      else {
        r.report(
          nameField,
          `must be a pipeline name, got ${quote(given)}`,
          "use up to 63 lowercase letters, digits or '-' (Kubeflow's rule), e.g. iris-pipeline",
        );
      }
    }
    const imageField = pick(pipeline, settings, 'image');
    const givenImage = r.text(
      imageField,
      'an image',
      'write an image such as ghcr.io/acme/train:1.0',
    );
    if (givenImage !== undefined) {
      if (givenImage !== '' && !/\s/.test(givenImage) && !givenImage.startsWith('-'))
        image = givenImage;
      else {
        r.report(
          imageField,
          `must be a container image reference, got ${quote(givenImage)}`,
          'write an image such as ghcr.io/acme/train:1.0',
        );
      }
    }
  }

  const context = new VarsContext();
  const fileCache = new Map<string, Record<string, unknown> | string>();
  const loadVarsFile = (file: string): Record<string, unknown> | string => {
    const cached = fileCache.get(file);
    if (cached !== undefined) return cached;
    const text = tryRead(join(root, file));
    let result: Record<string, unknown> | string;
    if (text === undefined) result = `${file} does not exist`;
    else {
      try {
        const parsed: unknown = parseYaml(text, { maxAliasCount: 1000 });
        result =
          typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
            ? (parsed as Record<string, unknown>)
            : parsed === null || parsed === undefined
              ? {}
              : `${file} must hold a mapping at its top level`;
      } catch (error) {
        result = `${file} is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`;
      }
    }
    fileCache.set(file, result);
    return result;
  };
  const addFile = (field: Field, spec: string, into: VarsContext): void => {
    const [file = '', keyList] = spec.split(':', 2);
    const path = d.projectPath(field, file, '');
    if (path === undefined) return;
    const data = loadVarsFile(path);
    if (typeof data === 'string') {
      r.report(
        field,
        `names a vars file that cannot be used: ${data}`,
        `create ${path}, or remove it from vars`,
      );
      return;
    }
    const keys =
      keyList === undefined ? Object.keys(data) : keyList.split(',').map((k) => k.trim());
    for (const key of keys) {
      if (!Object.hasOwn(data, key)) {
        r.report(
          field,
          `asks for '${key}', which ${path} does not have`,
          `add ${key} to ${path}, or remove it here`,
        );
        continue;
      }
      try {
        into.set(key, data[key], path);
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        r.report(field, `redefines a var: ${error.message}`, 'give each var one definition');
      }
    }
  };
  const loadVars = (field: Field, into: VarsContext): void => {
    for (const item of r.list(field, 'a list of vars files and mappings') ?? []) {
      if (item.node !== null && isMap(item.node)) {
        const value = item.node.toJS(doc as Document) as Record<string, unknown>;
        for (const [key, v] of Object.entries(value)) {
          try {
            into.set(key, v, null);
          } catch (error) {
            if (!(error instanceof InterpolationError)) throw error;
            r.report(item, `redefines a var: ${error.message}`, 'give each var one definition');
          }
        }
      } else if (item.node !== null && isScalar(item.node) && typeof item.node.value === 'string') {
        if (item.node.value.includes('${')) {
          r.report(item, 'may not use ${}', 'write the vars file name as plain text');
          continue;
        }
        addFile(item, item.node.value, into);
      } else {
        r.report(
          item,
          'must be a vars file name or a mapping of vars',
          'write e.g. - config.yaml or - {seed: 1}',
        );
      }
    }
  };

  if (tryRead(join(root, DEFAULT_PARAMS_FILE)) !== undefined) {
    const data = loadVarsFile(DEFAULT_PARAMS_FILE);
    if (typeof data === 'string') {
      r.reportAt(0, `params.yaml cannot be loaded as vars: ${data}`, 'fix params.yaml');
    } else
      for (const [key, value] of Object.entries(data)) context.set(key, value, DEFAULT_PARAMS_FILE);
  }
  if (varsField !== undefined && varsField.node !== null) loadVars(varsField, context);

  const stagesField = pick(root_, top, 'stages');
  const stages: StageSpec[] = [];
  for (const entry of r.entries(stagesField, null, 'a mapping of stage names to stages') ?? []) {
    if (!NAME_RULE.test(entry.key)) {
      r.report(
        entry,
        `has an invalid stage name ${quote(entry.key)}`,
        "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit ('@' is for foreach members)",
        true,
      );
      continue;
    }
    stages.push(...expandStage(d, entry, context, loadVars, doc as Document));
  }

  if (r.problems.length === 0) {
    const seen = new Map<string, StageSpec>();
    for (const stage of stages) {
      const other = seen.get(stage.name);
      if (other !== undefined) {
        r.problems.push({
          file: found.file,
          line: stage.at.line,
          column: stage.at.column,
          path: `stages.${stage.group}`,
          message: `generates the stage '${stage.name}' twice (also at line ${other.at.line})`,
          fix: 'give the foreach/matrix values distinct keys',
        });
      }
      seen.set(stage.name, stage);
    }
  }
  if (r.problems.length > 0) throw new PipelineDefinitionError(dedupe(r.problems));

  const { graph, problems } = buildGraph(stages);
  if (graph === undefined) {
    throw new PipelineDefinitionError(
      dedupe(
        problems.map((p) => ({
          file: p.at.file,
          line: p.at.line,
          column: p.at.column,
          path: '',
          message: p.message,
          fix: p.fix,
        })),
      ),
    );
  }
  return { definition: { root, file: found.file, name, image, stages }, graph };
}

/** Foreach members report a template's problem once each: keep one, in file order. */
function dedupe(problems: readonly DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  const out: DefinitionProblem[] = [];
  for (const problem of problems) {
    const key = `${problem.line}:${problem.column}:${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Picks stages by name: a full name (`train@rf`), or a foreach/matrix group (`train`) for all
 * its members. Unknown names throw with a suggestion.
 */
export function selectStages(graph: PipelineGraph, names: readonly string[]): string[] {
  const selected: string[] = [];
  for (const name of names) {
    if (graph.stage(name) !== undefined) {
      selected.push(name);
      continue;
    }
    const members = graph.order.filter((s) => s.group === name).map((s) => s.name);
    if (members.length > 0) {
      selected.push(...members);
      continue;
    }
    const known = graph.order.map((s) => s.name);
    throw new UnknownStageError(name, known, didYouMean(name, known));
  }
  return [...new Set(selected)];
}
