/**
 * Where a stage's templates come from: a built-in set shipped in templates/k8s/ ('deployment',
 * 'kserve' or 'kserve-mlflow'), or the user's own folder of *.yaml / *.yml files (relative to the folder of
 * ghml.yml). Files are read in name order, so the order objects are applied in is stable.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { packageRoot } from '../../package-paths.js';
import { TemplateDirectoryError } from '../deploy-errors.js';

/** The built-in template sets. */
export const BUILT_IN_TEMPLATE_SETS = ['deployment', 'kserve', 'kserve-mlflow'] as const;

/** One template file. */
export interface TemplateFile {
  /** The path shown in messages: 'templates/k8s/kserve/inference-service.yaml' or 'k8s/app.yaml'. */
  displayPath: string;
  text: string;
}

export interface TemplateSet {
  /** A built-in set's name or the configured folder. */
  name: string;
  directory: string;
  builtIn: boolean;
  files: TemplateFile[];
}

/** The built-in templates folder: <package>/templates/k8s/<name>. */
export function builtInTemplateDir(name: string): string {
  return join(packageRoot(), 'templates', 'k8s', name);
}

/**
 * Reads a template set. `baseDir` is where relative user folders start (the folder of
 * ghml.yml); `repoRoot` bounds them, since ghml.yml comes from the repository.
 */
export async function loadTemplateSet(
  templates: string,
  baseDir: string,
  repoRoot: string,
): Promise<TemplateSet> {
  const builtIn = (BUILT_IN_TEMPLATE_SETS as readonly string[]).includes(templates);
  const directory = builtIn ? builtInTemplateDir(templates) : resolve(baseDir, templates);
  const display = builtIn
    ? `templates/k8s/${templates}`
    : relative(repoRoot, directory).split(sep).join('/') || '.';
  if (!builtIn) {
    const inside = relative(resolve(repoRoot), directory);
    if (inside.startsWith('..') || resolve(inside) === inside) {
      throw new TemplateDirectoryError(templates, 'is outside the repository');
    }
  }
  let names: string[];
  try {
    if (!(await stat(directory)).isDirectory()) {
      throw new TemplateDirectoryError(display, 'is not a directory');
    }
    names = await readdir(directory);
  } catch (error) {
    if (error instanceof TemplateDirectoryError) throw error;
    throw new TemplateDirectoryError(display, 'does not exist');
  }
  const yamlNames = names.filter((n) => /\.ya?ml$/i.test(n) && !n.startsWith('.')).sort();
  if (yamlNames.length === 0) {
    throw new TemplateDirectoryError(display, 'holds no *.yaml or *.yml files');
  }
  const files = await Promise.all(
    yamlNames.map(async (n) => ({
      displayPath: `${display}/${n}`,
      text: await readFile(join(directory, n), 'utf8'),
    })),
  );
  return { name: templates, directory, builtIn, files };
}
