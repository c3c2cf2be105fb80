/**
 * Runs the built `ghml` CLI (dist/cli.js) as a real child process, the way users and CI do.
 * CI rebuilds dist/ before the tests and fails when it is stale, so this tests the shipped bundle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_GIT_ENV } from './temp-repo.js';

export const GHML_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface GhmlResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for ghml in tests: no GitHub Actions context leaking in from the host. */
export function ghmlEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_GIT_ENV, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    // NODE_OPTIONS from a test runner or tsx would load their hooks (and signal handlers) into ghml.
    if (
      key.startsWith('GITHUB_') ||
      key.startsWith('GHML_') ||
      key.startsWith('INPUT_') ||
      key === 'CI' ||
      key === 'NODE_OPTIONS'
    ) {
      delete env[key];
    }
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function startGhml(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): ChildProcess {
  return spawn(process.execPath, [GHML_CLI, ...args], {
    cwd: options.cwd,
    env: options.env ?? ghmlEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<GhmlResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runGhml(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<GhmlResult> {
  return collect(startGhml(args, options));
}
