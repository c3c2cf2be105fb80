/**
 * The `ghml deploy` command end to end (commander + services): the demo's dry run with no
 * GitHub, no cluster and no kubectl, JSON output, and a real deploy through the CLI.
 */
import { execFileSync, spawn } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDeployCommand } from '../../../src/cli/commands/deploy-command.js';
import { createGit } from '../../../src/git/git.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import { manifestProblems, STANDIN_CONTEXTS } from '../../support/kube-apiserver/index.js';
import { cleanupTempDirs, commitFile, makeRepo, tempDir } from '../../support/temp-repo.js';
import { deployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

interface Run {
  out: string[];
  err: string[];
  error: unknown;
  exitCode: number;
}

async function ghml(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const run: Run = { out: [], err: [], error: undefined, exitCode: 0 };
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
    setExitCode: (code) => {
      run.exitCode = code;
    },
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    run.error = error;
  }
  return run;
}

/** Runs kubectl without blocking (the API-server stand-in answers from this process). */
function kubectl(
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr }));
    child.stdin.end(input);
  });
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

  it('--dry-run writes metadata.namespace, so kubectl apply -f - lands in that namespace', async () => {
    const f = await deployFixture();
    try {
      await f.register('v1.0.0');
      await f.promote('v1.0.0', 'prod');
      const run = await ghml(
        ['deploy', 'iris', '--stage', 'prod', '--dry-run', '--namespace', 'ml'],
        f.repo,
        f.env,
      );
      expect(run.error).toBeUndefined();
      const manifests = run.out.join('\n');
      expect(manifests.match(/^ {2}namespace: ml$/gm)).toHaveLength(2);
      // The current context's namespace is 'default': the manifests alone say 'ml'. (The
      // stand-in serves no OpenAPI document for client-side validation.)
      const applied = await kubectl(
        ['apply', '--server-side', '--validate=false', '-f', '-'],
        manifests,
        f.env,
      );
      expect(applied.status, applied.stderr).toBe(0);
      expect(f.api.get('apps/v1', 'Deployment', 'ml', 'iris-prod')).toBeDefined();
      expect(f.api.get('apps/v1', 'Deployment', 'default', 'iris-prod')).toBeUndefined();
    } finally {
      await f.close();
    }
  });

  it('deploy status exits 1 when the cluster cannot be reached, still showing the registry', async () => {
    const f = await deployFixture();
    try {
      await f.register('v1.0.0');
      await f.promote('v1.0.0', 'prod');
      const run = await ghml(
        ['deploy', 'status', 'iris', '--context', STANDIN_CONTEXTS.unreachable],
        f.repo,
        f.env,
      );
      expect(run.error).toBeUndefined();
      expect(run.exitCode).toBe(1);
      expect(run.out.join('\n')).toMatch(/prod\s+v1\.0\.0\s+-\s+unknown/);
      expect(run.err.join('\n')).toContain("could not read the cluster for stage 'prod'");
      const reachable = await ghml(['deploy', 'status', 'iris'], f.repo, f.env);
      expect(reachable.exitCode).toBe(0);
    } finally {
      await f.close();
    }
  });

  it.each([
    [['--namespace', 'Prod_NS'], "Invalid --namespace 'Prod_NS': not a Kubernetes namespace."],
    [['--namespace', '-n'], "Invalid --namespace '-n'"],
    [
      ['--context', '--kubeconfig=/etc/x'],
      "Invalid --context '--kubeconfig=/etc/x': it starts with '-'.",
    ],
    [['--context', 'a b'], "Invalid --context 'a b': it contains whitespace."],
  ])('refuses %j as ghml.yml would, before running anything', async (flags, message) => {
    const repo = makeRepo();
    for (const command of [
      ['deploy', 'iris', '-s', 'prod'],
      ['deploy', 'status', 'iris'],
      ['deploy', 'rollback', 'iris', '-s', 'prod'],
    ]) {
      const run = await ghml([...command, ...flags], repo, bareEnv());
      expect((run.error as Error).name).toBe('InvalidKubeTargetError');
      expect((run.error as Error).message).toContain(message);
    }
  });
});
