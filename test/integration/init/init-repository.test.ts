/** `ghml init` on real temp repositories. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerInitCommand } from '../../../src/cli/commands/init-command.js';
import type { CommandContext } from '../../../src/cli/program.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { NotARepositoryError } from '../../../src/git/git-errors.js';
import {
  InitFileExistsError,
  InvalidActionRefError,
  UnknownWorkflowError,
} from '../../../src/init/init-errors.js';
import { initRepository } from '../../../src/init/init-repository.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

afterAll(() => cleanupTempDirs());

const defaults = { workflows: ['train'], experiment: 'iris', force: false };

function snapshot(dir: string): string {
  return git(dir, 'status', '--porcelain', '--untracked-files=all');
}

describe('initRepository', () => {
  it('writes ghml.yml and train.yml and starts an orphan tracking branch with the format marker', async () => {
    const repo = makeRepo();
    const result = await initRepository({ cwd: repo, ...defaults });
    expect(result.files).toEqual([
      { path: 'ghml.yml', action: 'created' },
      { path: '.github/workflows/train.yml', action: 'created' },
    ]);
    const config = await loadConfig(repo);
    expect(config.defaultExperiment).toBe('iris');
    expect(Object.keys(config.experiments)).toEqual(['iris']);
    // The template, less the lines for copying it by hand.
    expect(readFileSync(join(repo, '.github/workflows/train.yml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'templates/workflows/train.yml'), 'utf8').replace(
        /^# \[by hand\].*\n/gm,
        '',
      ),
    );
    expect(result.branch).toMatchObject({ name: 'ghml/runs', created: true });
    expect(JSON.parse(git(repo, 'show', 'ghml/runs:ghml.json'))).toEqual({ format: 2 });
    expect(git(repo, 'rev-list', '--count', 'ghml/runs')).toBe('1');
    expect(() => git(repo, 'merge-base', '--is-ancestor', 'main', 'ghml/runs')).toThrow();
    // The branch shares no history with main and is not checked out.
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it.each(['null', 'true', '1.0'])(
    'writes a ghml.yml that loads for the experiment name %s, which YAML would not read as a name',
    async (experiment) => {
      const repo = makeRepo();
      await initRepository({ cwd: repo, ...defaults, experiment });
      const config = await loadConfig(repo);
      expect(config.defaultExperiment).toBe(experiment);
      expect(Object.keys(config.experiments)).toEqual([experiment]);
    },
  );

  it('is idempotent: a second run changes nothing', async () => {
    const repo = makeRepo();
    const first = await initRepository({ cwd: repo, ...defaults });
    const before = snapshot(repo);
    const second = await initRepository({ cwd: repo, ...defaults });
    expect(second.files.map((f) => f.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.branch).toEqual({ ...first.branch, created: false });
    expect(snapshot(repo)).toBe(before);
  });

  it('refuses to overwrite a changed workflow without --force, writing nothing at all', async () => {
    const repo = makeRepo();
    await initRepository({ cwd: repo, ...defaults });
    const workflow = join(repo, '.github/workflows/train.yml');
    writeFileSync(workflow, 'name: mine\n');
    const error = await initRepository({
      cwd: repo,
      ...defaults,
      workflows: ['train', 'release'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InitFileExistsError);
    expect((error as Error).message).toContain("'.github/workflows/train.yml'");
    expect((error as InitFileExistsError).hint).toContain('--force');
    expect(readFileSync(workflow, 'utf8')).toBe('name: mine\n');
    expect(existsSync(join(repo, '.github/workflows/release.yml'))).toBe(false);

    const forced = await initRepository({
      cwd: repo,
      ...defaults,
      workflows: ['train', 'release'],
      force: true,
    });
    expect(forced.files.find((f) => f.path.endsWith('train.yml'))?.action).toBe('overwritten');
    expect(existsSync(join(repo, '.github/workflows/deploy.yml'))).toBe(true);
  });

  it("keeps a user's own ghml.yml unless forced", async () => {
    const repo = makeRepo();
    writeFileSync(
      join(repo, 'ghml.yml'),
      'default_experiment: mine\ntracking:\n  branch: ml/runs\n',
    );
    const result = await initRepository({ cwd: repo, ...defaults });
    expect(result.files[0]).toEqual({ path: 'ghml.yml', action: 'kept' });
    expect(readFileSync(join(repo, 'ghml.yml'), 'utf8')).toContain('mine');
    // The branch is the one the user's config names.
    expect(result.branch.name).toBe('ml/runs');
    expect(JSON.parse(git(repo, 'show', 'ml/runs:ghml.json'))).toEqual({ format: 2 });
  });

  it('installs the fork-safe pair and rewrites the action reference', async () => {
    const repo = makeRepo();
    const result = await initRepository({
      cwd: repo,
      ...defaults,
      workflows: ['fork-safe'],
      actionRef: 'my-org/ghml@v2.1.0',
    });
    expect(result.files.map((f) => f.path)).toEqual([
      'ghml.yml',
      '.github/workflows/train-fork-safe.yml',
      '.github/workflows/report.yml',
    ]);
    const report = readFileSync(join(repo, '.github/workflows/report.yml'), 'utf8');
    expect(report).toContain('uses: my-org/ghml@v2.1.0');
    expect(report).not.toContain('ghml/ghml@v1');
  });

  it('starts from the remote tracking branch when the remote has one', async () => {
    const origin = makeBareRemote();
    const first = cloneRepo(origin);
    writeFileSync(join(first, 'README.md'), 'x\n');
    git(first, 'add', '.');
    git(first, 'commit', '-q', '-m', 'x');
    git(first, 'push', '-q', 'origin', 'main');
    await initRepository({ cwd: first, ...defaults });
    git(first, 'push', '-q', 'origin', 'ghml/runs');
    const second = cloneRepo(origin);
    const result = await initRepository({ cwd: second, ...defaults });
    expect(result.branch.created).toBe(false);
    expect(result.branch.tip).toBe(git(first, 'rev-parse', 'ghml/runs'));
  });

  it.each([
    [{ workflows: ['nightly'] }, UnknownWorkflowError, "Unknown workflow 'nightly'"],
    [{ actionRef: 'not a ref' }, InvalidActionRefError, "Invalid action reference 'not a ref'"],
    [{ actionRef: 'org/ghml@../../x' }, InvalidActionRefError, 'Invalid action reference'],
    [{ experiment: '../x' }, Error, "'../x'"],
  ])('rejects bad options %o and writes nothing', async (bad, type, message) => {
    const repo = makeRepo();
    const error = await initRepository({ cwd: repo, ...defaults, ...bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toContain(message);
    expect(snapshot(repo)).toBe('');
    expect(() => git(repo, 'rev-parse', '--verify', '-q', 'ghml/runs')).toThrow();
  });

  it('needs a git repository', async () => {
    const dir = tempDir();
    await expect(initRepository({ cwd: dir, ...defaults })).rejects.toBeInstanceOf(
      NotARepositoryError,
    );
    expect(existsSync(join(dir, 'ghml.yml'))).toBe(false);
  });
});

describe('ghml init (command)', () => {
  it('parses its options and reports what it wrote', async () => {
    const repo = makeRepo();
    const out: string[] = [];
    const err: string[] = [];
    const context: CommandContext = {
      io: { out: (t) => out.push(t), err: (t) => err.push(t), color: false, interactive: false },
      env: {},
      cwd: repo,
      setExitCode: () => {},
    };
    const program = new Command('ghml').exitOverride();
    registerInitCommand(program, context);
    await program.parseAsync(['node', 'ghml', 'init', '--workflow', 'train,release', '-e', 'iris']);
    expect(err).toContain('ghml: created .github/workflows/release.yml');
    expect(err.join('\n')).toContain('created the tracking branch ghml/runs');
    expect(existsSync(join(repo, '.github/workflows/deploy.yml'))).toBe(true);
    expect(out).toHaveLength(1);
  });

  it('prints next steps that fit what it wrote', async () => {
    const run = async (argv: string[]) => {
      const repo = makeRepo();
      const err: string[] = [];
      const program = new Command('ghml').exitOverride();
      registerInitCommand(program, {
        io: { out: () => {}, err: (t) => err.push(t), color: false, interactive: false },
        env: {},
        cwd: repo,
        setExitCode: () => {},
      });
      await program.parseAsync(['node', 'ghml', 'init', ...argv]);
      return err.slice(err.indexOf('ghml: next steps:') + 1);
    };
    const train = await run([]);
    expect(train[0]).toBe(
      '  1. set `train:` in .github/workflows/train.yml to your training command',
    );
    expect(train.join('\n')).toContain('ghml init --action-ref <owner>/ghml@v1 --force');
    expect(train.join('\n')).toContain('git add ghml.yml .github/workflows && git commit');
    expect(train.join('\n')).not.toContain('ghml model register');
    const release = await run(['--workflow', 'release', '--action-ref', 'acme/ghml@v1']);
    expect(release.join('\n')).toContain('ghml model register <name>');
    expect(release.join('\n')).toContain('KUBECONFIG_DATA');
    expect(release.join('\n')).not.toContain('--action-ref');
    expect(release.join('\n')).not.toContain('set `train:`');
  });

  it('writes workflows that do not ask to be copied (the template does)', async () => {
    const repo = makeRepo();
    await initRepository({ cwd: repo, ...defaults });
    const written = readFileSync(join(repo, '.github/workflows/train.yml'), 'utf8');
    const template = readFileSync(join(ROOT, 'templates/workflows/train.yml'), 'utf8');
    expect(template).toContain('# [by hand] Copy this file to .github/workflows/train.yml');
    expect(written).not.toMatch(/copy this file|\[by hand\]/i);
    expect(written).toContain('# Change `train:` to your training command.');
    expect(written).toBe(template.replace(/^# \[by hand\].*\n/m, ''));
  });
});
