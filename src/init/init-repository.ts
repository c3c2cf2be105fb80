/**
 * `ghml init`: writes ghml.yml and the chosen workflow templates into a repository and creates
 * the tracking branch with its format marker. It never replaces a file whose content differs
 * unless forced, and checks every target before writing any, so a refusal writes nothing.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadConfigFor } from '../config/find-config.js';
import { CONFIG_FILE_NAMES } from '../config/load-config.js';
import { createGit } from '../git/git.js';
import { openTrackingStore } from '../tracking/store/tracking-store.js';
import { InitFileExistsError } from './init-errors.js';
import { starterConfig } from './starter-config.js';
import { readWorkflowTemplate, templateFiles } from './workflow-templates.js';

export interface InitOptions {
  /** A folder inside the repository. */
  cwd: string;
  /** Workflow sets (see WORKFLOW_SETS); default ['train']. */
  workflows: readonly string[];
  /** Experiment named in the starter ghml.yml. Default 'default'. */
  experiment: string;
  /** Replaces `ghml/ghml@v1` in the templates, e.g. 'my-org/ghml@v1'. */
  actionRef?: string | undefined;
  /** Replace files whose content differs. */
  force: boolean;
}

/** What happened to one file. */
export interface InitFile {
  /** Path relative to the repository root. */
  path: string;
  /** `kept`: an existing ghml.yml with other content, left alone without --force. */
  action: 'created' | 'overwritten' | 'unchanged' | 'kept';
}

export interface InitResult {
  root: string;
  files: InitFile[];
  /** The tracking branch and whether this call created it. */
  branch: { name: string; created: boolean; tip: string };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function initRepository(options: InitOptions): Promise<InitResult> {
  const git = await createGit(options.cwd);
  const root = await git.topLevel();
  const planned: Array<{ path: string; content: string }> = [];
  // An existing ghml.yaml counts as the config: never write a second one beside it.
  const existingYaml = await readIfExists(join(root, CONFIG_FILE_NAMES[1]));
  if (existingYaml === undefined)
    planned.push({ path: CONFIG_FILE_NAMES[0], content: starterConfig(options.experiment) });
  for (const name of templateFiles(options.workflows)) {
    planned.push({
      path: `.github/workflows/${name}`,
      content: await readWorkflowTemplate(name, options.actionRef),
    });
  }

  const files: InitFile[] = [];
  const conflicts: string[] = [];
  for (const file of planned) {
    const current = await readIfExists(join(root, file.path));
    if (current === undefined) files.push({ path: file.path, action: 'created' });
    else if (current === file.content) files.push({ path: file.path, action: 'unchanged' });
    else if (file.path === CONFIG_FILE_NAMES[0] && !options.force)
      files.push({ path: file.path, action: 'kept' });
    else {
      files.push({ path: file.path, action: 'overwritten' });
      if (!options.force) conflicts.push(file.path);
    }
  }
  if (conflicts.length > 0) throw new InitFileExistsError(conflicts);

  for (const [index, file] of planned.entries()) {
    const action = files[index]?.action;
    if (action === 'unchanged' || action === 'kept') continue;
    const target = join(root, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }

  // The branch name comes from the ghml.yml now in place (the user's, when it was kept).
  const config = await loadConfigFor(root, root);
  const store = openTrackingStore(git, config.tracking);
  const before = await store.tip();
  if (before === undefined && (await git.hasRemote(config.tracking.remote))) {
    try {
      await store.fetch();
    } catch {
      // Offline or no access: a local branch still works and is pushed with the first run.
    }
  }
  const existed = (await store.tip()) !== undefined;
  const tip = await store.ensureBranch();
  return { root, files, branch: { name: config.tracking.branch, created: !existed, tip } };
}
