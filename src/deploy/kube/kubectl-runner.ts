/**
 * The one door to kubectl: the real binary, started from an argument array (never a shell),
 * with `--context` / `--namespace` added to every call and the caller's environment (so
 * KUBECONFIG is honoured) minus GitHub tokens, which kubectl has no use for. Failures are
 * classified into typed errors: kubectl missing, cluster unreachable, unknown context.
 */
import { spawn } from 'node:child_process';
import {
  ClusterUnreachableError,
  KubectlError,
  KubectlNotFoundError,
  UnknownContextError,
} from '../deploy-errors.js';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed. */
  status: number | null;
}

export interface KubectlRunOptions {
  /** Written to kubectl's stdin. */
  input?: string;
  /** Kill kubectl after this long (a safety net; kubectl's own --timeout comes first). */
  killAfterMs?: number;
  /** Leave out --namespace (for cluster-scoped calls). */
  noNamespace?: boolean;
}

/** Runs kubectl; the deploy services depend on this interface only. */
export interface Kubectl {
  readonly context: string | null;
  readonly namespace: string | null;
  /** Runs kubectl and returns its output, whatever its exit status; throws only when it cannot start. */
  tryRun(args: readonly string[], options?: KubectlRunOptions): Promise<KubectlResult>;
  /** Runs kubectl; a non-zero exit becomes a typed error. */
  run(args: readonly string[], options?: KubectlRunOptions): Promise<string>;
}

export interface KubectlOptions {
  /** Environment kubectl runs with; its PATH finds the binary. */
  env: NodeJS.ProcessEnv;
  /** The binary (default 'kubectl'). */
  binary?: string;
  context?: string | null;
  namespace?: string | null;
}

const UNREACHABLE =
  /Unable to connect to the server|connection refused|no such host|i\/o timeout|dial tcp|TLS handshake timeout|couldn't get current server API group list|server is currently unable|no route to host|network is unreachable/i;
const NO_CONTEXT =
  /context was not found for specified context|context "[^"]*" does not exist|no context exists with the name/i;
const NO_CONFIG =
  /The connection to the server localhost:8080 was refused|invalid configuration: no configuration has been provided/i;
const MAX_KILL_MS = 25 * 3_600_000;

export function createKubectl(options: KubectlOptions): Kubectl {
  const binary = options.binary ?? 'kubectl';
  const context = options.context ?? null;
  const namespace = options.namespace ?? null;
  const env: NodeJS.ProcessEnv = { ...options.env };
  for (const key of ['GITHUB_TOKEN', 'GH_TOKEN', 'GHML_TOKEN']) delete env[key];

  function fullArgs(args: readonly string[], runOptions: KubectlRunOptions): string[] {
    const out: string[] = [];
    if (context !== null) out.push(`--context=${context}`);
    if (namespace !== null && !runOptions.noNamespace) out.push(`--namespace=${namespace}`);
    return [...out, ...args];
  }

  function tryRun(
    args: readonly string[],
    runOptions: KubectlRunOptions = {},
  ): Promise<KubectlResult> {
    const argv = fullArgs(args, runOptions);
    return new Promise((resolve, reject) => {
      const child = spawn(binary, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(
        () => child.kill('SIGKILL'),
        Math.min(runOptions.killAfterMs ?? 600_000, MAX_KILL_MS),
      );
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.code === 'ENOENT' || error.code === 'EACCES')
          reject(new KubectlNotFoundError(binary));
        else reject(error);
      });
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, status });
      });
      // kubectl may exit before reading stdin (e.g. a bad context); that is not our error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(runOptions.input ?? '');
    });
  }

  return {
    context,
    namespace,
    tryRun,
    async run(args, runOptions = {}) {
      const result = await tryRun(args, runOptions);
      if (result.status !== 0) throw classifyFailure(args, result, context);
      return result.stdout;
    },
  };
}

/** The typed error for a failed kubectl call. */
export function classifyFailure(
  args: readonly string[],
  result: KubectlResult,
  context: string | null,
): Error {
  const text = result.stderr;
  if (NO_CONTEXT.test(text)) {
    const named =
      /context "([^"]*)"/.exec(text)?.[1] ?? /specified context:? (\S+)/.exec(text)?.[1];
    return new UnknownContextError(context ?? named ?? '');
  }
  if (NO_CONFIG.test(text)) {
    return new ClusterUnreachableError(
      context,
      'no kubeconfig found (KUBECONFIG is unset and ~/.kube/config is missing)',
    );
  }
  if (UNREACHABLE.test(text)) return new ClusterUnreachableError(context, lastErrorLine(text));
  return new KubectlError(args, result.status, lastErrorLine(text));
}

/** kubectl repeats discovery errors; the last line is the one that says what failed. */
function lastErrorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errorLine = [...lines].reverse().find((l) => /^error/i.test(l)) ?? lines.at(-1) ?? '';
  return errorLine.replace(/^error:\s*/i, '').slice(0, 2000);
}
