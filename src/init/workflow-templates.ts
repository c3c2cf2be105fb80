/**
 * The workflow templates `ghml init` can install (templates/workflows/), by the name users
 * choose, and how the action reference inside them is rewritten.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../package-paths.js';
import { InvalidActionRefError, UnknownWorkflowError } from './init-errors.js';

/** Names for `--workflow`, and the template files each installs. */
export const WORKFLOW_SETS: Readonly<Record<string, readonly string[]>> = {
  train: ['train.yml'],
  'fork-safe': ['train-fork-safe.yml', 'report.yml'],
  release: ['release.yml', 'deploy.yml'],
  deploy: ['deploy.yml'],
  pages: ['pages.yml'],
};

/** How the templates refer to the action; `--action-ref` replaces it. */
export const TEMPLATE_ACTION_REF = 'ghml/ghml@v1';

const ACTION_REF =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}@[A-Za-z0-9._/-]{1,100}$/;

export function validateActionRef(value: string): string {
  if (!ACTION_REF.test(value) || value.includes('..')) throw new InvalidActionRefError(value);
  return value;
}

/** Template file names for the chosen sets, without duplicates, in a stable order. */
export function templateFiles(sets: readonly string[]): string[] {
  const files: string[] = [];
  for (const set of sets) {
    const names = WORKFLOW_SETS[set];
    if (names === undefined) throw new UnknownWorkflowError(set, Object.keys(WORKFLOW_SETS));
    for (const name of names) if (!files.includes(name)) files.push(name);
  }
  return files;
}

/** Comment lines for someone copying a template by hand; `ghml init` leaves them out. */
const BY_HAND = /^# \[by hand\].*\n/gm;

/**
 * A template's text as `ghml init` installs it: without the `# [by hand]` lines (the file is in
 * place already), and with the action reference rewritten when `actionRef` is given.
 */
export async function readWorkflowTemplate(
  name: string,
  actionRef: string | undefined,
): Promise<string> {
  const template = await readFile(join(packageRoot(), 'templates', 'workflows', name), 'utf8');
  const text = template.replace(BY_HAND, '');
  if (actionRef === undefined) return text;
  const [repository = '', ref = ''] = validateActionRef(actionRef).split('@');
  // Thin actions (ghml/ghml/actions/<verb>@v1) keep their path; pages.yml checks ghml out.
  return text
    .replace(
      /\bghml\/ghml((?:\/actions\/[a-z]+)?)@v1\b/g,
      (_m, path: string) => `${repository}${path}@${ref}`,
    )
    .replace(
      /(repository: )ghml\/ghml( #[^\n]*)?\n(\s+ref: )v1\b/g,
      (_m, key: string, comment: string | undefined, refKey: string) =>
        `${key}${repository}${comment ?? ''}\n${refKey}${ref}`,
    );
}
