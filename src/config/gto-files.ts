/**
 * GTO's own files at the repository root, read only, so a team already on GTO keeps its rules:
 * `.gto` may list the allowed `stages:` (GTO refuses others, so ghml does too), and
 * `artifacts.yaml` may annotate models with `type`, `path` and `description`, which fill in
 * what ghml.yml's `registry.models` leaves unset (ghml.yml wins field by field). ghml never
 * writes either file. Other keys of both files (types, enrichments, labels, virtual) are GTO's
 * business and ignored.
 */
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError, type ConfigProblem } from './config-errors.js';
import type { GhmlConfig, ModelSettings } from './config-types.js';
import { nodeConfigFileSystem, type ConfigFileSystem, MAX_CONFIG_BYTES } from './load-config.js';
import { MODEL_NAME } from './name-rules.js';

export const GTO_CONFIG_FILE = '.gto';
export const GTO_INDEX_FILE = 'artifacts.yaml';

interface Parsed {
  doc: ReturnType<typeof parseDocument>;
  problem: (node: Node | null | undefined, message: string, fix: string, path?: string) => void;
  problems: ConfigProblem[];
}

function parse(file: string, text: string): Parsed {
  const lines = new LineCounter();
  const problems: ConfigProblem[] = [];
  const at = (offset: number) => lines.linePos(offset);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    problems.push({
      file,
      line: 1,
      column: 1,
      path: '',
      message: `${file} is larger than ${MAX_CONFIG_BYTES} bytes`,
      fix: `keep ${file} to GTO's settings`,
    });
    throw new ConfigError(problems);
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const error of doc.errors) {
    const pos = at(error.pos[0]);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      path: '',
      message: `${file} is not valid YAML: ${error.message.split('\n')[0] ?? error.code}`,
      fix: 'fix the YAML syntax at this position',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    doc,
    problems,
    problem(node, message, fix, path = '') {
      const pos = at(node?.range?.[0] ?? 0);
      problems.push({ file, line: pos.line, column: pos.col, path, message, fix });
    },
  };
}

const NAME_FIX =
  "use letters, digits, '-', '_' and '/', starting and ending with a letter or digit";

/** The `stages:` list of `.gto`; null when the file or the key is absent. */
export function parseGtoStages(text: string): string[] | null {
  const { doc, problem, problems } = parse(GTO_CONFIG_FILE, text);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return null;
  if (!isMap(root)) {
    problem(root, `${GTO_CONFIG_FILE} must be a mapping`, 'write keys such as stages: [dev, prod]');
    throw new ConfigError(problems);
  }
  const node = root.get('stages', true) as Node | undefined;
  if (node === undefined || (isScalar(node) && node.value === null)) return null;
  if (!isSeq(node)) {
    problem(
      node,
      'stages must be a list of stage names',
      'write stages: [dev, staging, prod]',
      'stages',
    );
    throw new ConfigError(problems);
  }
  const stages: string[] = [];
  for (const item of node.items) {
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== 'string' || !MODEL_NAME.test(value)) {
      problem(
        item as Node,
        `stages lists an invalid stage name ${JSON.stringify(value)}`,
        NAME_FIX,
        'stages',
      );
    } else stages.push(value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return stages;
}

/** What `artifacts.yaml` says of each model: only type, path and description. */
export type GtoArtifacts = Map<
  string,
  { type: string | null; path: string | null; description: string | null }
>;

export function parseGtoArtifacts(text: string): GtoArtifacts {
  const { doc, problem, problems } = parse(GTO_INDEX_FILE, text);
  const out: GtoArtifacts = new Map();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) {
    problem(
      root,
      `${GTO_INDEX_FILE} must map model names to their annotations`,
      'write model: { type: model, path: models/model.pkl }',
    );
    throw new ConfigError(problems);
  }
  for (const pair of root.items) {
    const name = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
      problem(pair.key as Node, `invalid model name ${JSON.stringify(name)}`, NAME_FIX);
      continue;
    }
    const fields = { type: null, path: null, description: null } as {
      type: string | null;
      path: string | null;
      description: string | null;
    };
    const value = pair.value as Node | null;
    if (value !== null && !(isScalar(value) && value.value === null)) {
      if (!isMap(value)) {
        problem(
          value,
          `${name} must be a mapping`,
          'write type:, path: and description: under it',
          name,
        );
        continue;
      }
      for (const key of ['type', 'path', 'description'] as const) {
        const field = value.get(key, true) as Node | undefined;
        if (field === undefined || (isScalar(field) && field.value === null)) continue;
        const text = isScalar(field) ? field.value : undefined;
        if (typeof text !== 'string' || text.trim() === '') {
          problem(
            field,
            `${name}.${key} must be a string`,
            `write ${key}: followed by text`,
            `${name}.${key}`,
          );
        } else fields[key] = text;
      }
    }
    out.set(name, fields);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The config with GTO's files of `repoRoot` applied (see the module comment). */
export async function withGtoFiles(
  config: GhmlConfig,
  repoRoot: string,
  fs: ConfigFileSystem = nodeConfigFileSystem,
): Promise<GhmlConfig> {
  const gto = await fs.tryReadText(join(repoRoot, GTO_CONFIG_FILE));
  const index = await fs.tryReadText(join(repoRoot, GTO_INDEX_FILE));
  if (gto === undefined && index === undefined) return config;
  const stages = gto === undefined ? null : parseGtoStages(gto);
  const models: Record<string, ModelSettings> = { ...config.registry.models };
  for (const [name, annotated] of index === undefined ? [] : parseGtoArtifacts(index)) {
    const own = Object.hasOwn(models, name) ? models[name] : undefined;
    models[name] = {
      path:
        own !== undefined && own.path.length > 0
          ? own.path
          : annotated.path === null
            ? []
            : [annotated.path],
      experiment: own?.experiment ?? name,
      type: own?.type ?? annotated.type,
      description: own?.description ?? annotated.description,
    };
  }
  return { ...config, registry: { ...config.registry, models, gtoStages: stages } };
}
