/**
 * The `ghml deploy` command end to end (commander + services): the demo's dry run with no
 * GitHub, no cluster and no kubectl, JSON output, and a real deploy through the CLI.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDeployCommand } from '../../../src/cli/commands/deploy-command.js';
import { createGit } from '../../../src/git/git.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import { manifestProblems } from '../../support/kube-apiserver/index.js';
import { cleanupTempDirs, commitFile, makeRepo, tempDir } from '../../support/temp-repo.js';
import { deployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

interface Run {
  out: string[];
  err: string[];
  error: unknown;
}

async function ghml(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const run: Run = { out: [], err: [], error: undefined };
  const program = new Command('ghml').option('-C, --repo <dir>').exitOverride();
  program.configureOutput({ writeOut: (t) => run.out.push(t), writeErr: (t) => run.err.push(t) });
  registerDeployCommand(program, {
    io: {
      out: (t) => run.out.push(t),
      err: (t) => run.err.push(t),
      color: false,
      interactive: false,
    },
    env,
    cwd,
    setExitCode: () => undefined,
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    run.error = error;
  }
  return run;
}

/** An environment with git on PATH and nothing else: no kubectl, no token, no kubeconfig. */
function bareEnv(): NodeJS.ProcessEnv {
  const bin = tempDir('ghml-bin-');
  symlinkSync(execFileSync('which', ['git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
  return { PATH: bin, HOME: tempDir('ghml-home-'), KUBECONFIG: '/nonexistent/kubeconfig' };
}

describe('ghml deploy (CLI)', () => {
  it('prints valid manifests for a local-only registry with --dry-run (no GitHub, cluster or kubectl)', async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, 'train.py', 'print("iris")\n');
    const registry = new RegistryService({ git: await createGit(repo) });
    await registry.register({
      name: 'iris',
      version: 'v1.3.0',
      commit,
      metadata: {
        artifacts: [{ uri: `file://${repo}/model.pkl`, sha256: 'c'.repeat(64), size: 10 }],
      },
    });
    await registry.promote('iris', 'v1.3.0', 'prod');

    const run = await ghml(['deploy', 'iris', '--stage', 'prod', '--dry-run'], repo, bareEnv());

    expect(run.error).toBeUndefined();
    const docs = parseAllDocuments(run.out.join('\n'));
    const objects = (Array.isArray(docs) ? docs : []).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    expect(objects.map((o) => o['kind'])).toEqual(['Deployment', 'Service']);
    for (const o of objects) expect(manifestProblems(o)).toEqual([]);
    expect(run.err.join('\n')).toContain('cannot be fetched from the cluster');
  });

  it('dry-runs the kserve templates as JSON, even when the tag records no artifact', async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, 'ghml.yml', 'deploy:\n  prod:\n    templates: kserve\n');
    const registry = new RegistryService({ git: await createGit(repo) });
    await registry.register({ name: 'iris', version: 'v1.0.0', commit });
    await registry.promote('iris', 'v1.0.0', 'prod');

    const run = await ghml(
      ['deploy', 'iris', '--stage', 'prod', '--dry-run', '--json'],
      repo,
      bareEnv(),
    );

    expect(run.error).toBeUndefined();
    const result = JSON.parse(run.out.join('\n')) as {
      outcome: string;
      manifests: Array<Record<string, unknown>>;
    };
    expect(result.outcome).toBe('dry-run');
    expect(result.manifests.map((m) => m['kind'])).toEqual(['InferenceService']);
    expect(manifestProblems(result.manifests[0]!)).toEqual([]);
  });

  it('refuses a missing --stage and a bad --timeout as usage errors', async () => {
    const repo = makeRepo();
    const noStage = await ghml(['deploy', 'iris'], repo, bareEnv());
    expect((noStage.error as Error).name).toBe('UsageError');
    const badTimeout = await ghml(
      ['deploy', 'iris', '--stage', 'prod', '--timeout', '5 minutes'],
      repo,
      bareEnv(),
    );
    expect((badTimeout.error as Error).message).toContain("Invalid timeout '5 minutes'");
  });

  it('deploys, shows status and rolls back through the real kubectl', async () => {
    const f = await deployFixture();
    try {
      await f.register('v1.0.0');
      await f.register('v2.0.0');
      await f.promote('v1.0.0', 'prod');
      const env = { ...f.env };
      expect(
        (await ghml(['deploy', 'iris', '--stage', 'prod', '--timeout', '30s'], f.repo, env)).out,
      ).toEqual(["iris v1.0.0 deployed in stage 'prod'"]);
      expect(
        (await ghml(['deploy', 'iris', '-s', 'prod', '--version', 'v2.0.0'], f.repo, env)).error,
      ).toBeUndefined();
      const status = await ghml(['deploy', 'status', 'iris'], f.repo, env);
      expect(status.out.join('\n')).toMatch(/prod\s+v1\.0\.0\s+v2\.0\.0\s+DRIFT/);
      const back = await ghml(
        ['deploy', 'rollback', 'iris', '--stage', 'prod', '--json'],
        f.repo,
        env,
      );
      expect(back.error).toBeUndefined();
      expect(JSON.parse(back.out.join('\n'))).toMatchObject({
        action: 'rollback',
        version: 'v1.0.0',
        outcome: 'succeeded',
      });
    } finally {
      await f.close();
    }
  });
});
