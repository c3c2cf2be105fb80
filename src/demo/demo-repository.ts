/**
 * The demo's repository: a fresh local git repository holding an example (examples/iris, or
 * examples/iris-pipeline for the pipeline step), with commits made by a demo identity when
 * the user has none configured. No network, no GitHub.
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GhmlError } from '../errors/ghml-error.js';
import { initRepository } from '../git/git-init.js';
import type { Git } from '../git/git.js';
import { examplesDir } from '../package-paths.js';

export interface DemoRepository {
  dir: string;
  git: Git;
  commit(message: string): Promise<string>;
  /** Replaces `key: value` lines in params.yaml. */
  setParams(values: Record<string, string>): Promise<void>;
}

const DEMO_IDENTITY = { name: 'ghml demo', email: 'demo@ghml.invalid' };

/** Files the examples write when they run: never copied into a demo repository. */
const OUTPUTS =
  /(__pycache__|\.pyc$|metrics\.json$|model\.pkl$|ghml\.lock$|[\\/](data|model|eval)$)/;

export async function createDemoRepository(
  target?: string,
  example: 'iris' | 'iris-pipeline' = 'iris',
): Promise<DemoRepository> {
  const dir = target ?? (await mkdtemp(join(tmpdir(), 'ghml-demo-')));
  let existing: string[] = [];
  try {
    existing = await readdir(dir);
  } catch {
    // created below
  }
  if (existing.length > 0) {
    throw new GhmlError(`'${dir}' is not empty`, {
      hint: 'give `ghml demo` a new or empty folder, or none for a temp folder',
    });
  }
  await cp(join(examplesDir(), example), dir, {
    recursive: true,
    // iris-pipeline links the iris example's code and data rather than copying them.
    dereference: true,
    filter: (source) => !OUTPUTS.test(source),
  });
  const git = await initRepository(dir);
  if (!(await git.tryConfig('user.email'))) {
    await git.exec(['config', 'user.name', DEMO_IDENTITY.name]);
    await git.exec(['config', 'user.email', DEMO_IDENTITY.email]);
  }
  await git.exec(['config', 'commit.gpgsign', 'false']);
  await git.exec(['config', 'tag.gpgsign', 'false']);

  return {
    dir,
    git,
    async commit(message) {
      await git.exec(['add', '-A']);
      await git.exec(['commit', '-q', '-m', message]);
      return git.headCommit();
    },
    async setParams(values) {
      const file = join(dir, 'params.yaml');
      let text = await readFile(file, 'utf8');
      for (const [key, value] of Object.entries(values)) {
        // Keep any trailing comment on the line.
        const line = new RegExp(`^(${key}:[ \\t]*)[^#\\n]*?([ \\t]*#.*)?$`, 'm');
        text = line.test(text)
          ? text.replace(
              line,
              (_match, head: string, comment: string | undefined) =>
                `${head}${value}${comment ?? ''}`,
            )
          : `${text}${key}: ${value}\n`;
      }
      await writeFile(file, text);
    },
  };
}
