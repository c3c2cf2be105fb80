/**
 * Kubeconfig files for tests: contexts pointing at the stand-in (plain HTTP on 127.0.0.1, a
 * bearer token), plus one pointing at a port nothing listens on, so kubectl can only ever reach
 * the stand-in. Tests must also pass `standinEnv()` so no in-cluster settings leak in.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** The contexts every generated kubeconfig has. */
export const STANDIN_CONTEXTS = {
  /** The current context: the stand-in, namespace 'default'. */
  main: 'standin',
  /** The stand-in with namespace 'ml'. */
  ml: 'standin-ml',
  /** A server on 127.0.0.1 that refuses connections. */
  unreachable: 'unreachable',
} as const;

export interface KubeconfigOptions {
  server: string;
  token: string;
  /** A port with no listener, for the unreachable context (default 9: discard, never open). */
  deadPort?: number;
}

/** Writes a kubeconfig to `path` and returns the path. */
export function writeKubeconfig(path: string, options: KubeconfigOptions): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      { name: 'standin', cluster: { server: options.server } },
      { name: 'unreachable', cluster: { server: `http://127.0.0.1:${options.deadPort ?? 9}` } },
    ],
    users: [{ name: 'standin-user', user: { token: options.token } }],
    contexts: [
      {
        name: STANDIN_CONTEXTS.main,
        context: { cluster: 'standin', user: 'standin-user', namespace: 'default' },
      },
      {
        name: STANDIN_CONTEXTS.ml,
        context: { cluster: 'standin', user: 'standin-user', namespace: 'ml' },
      },
      {
        name: STANDIN_CONTEXTS.unreachable,
        context: { cluster: 'unreachable', user: 'standin-user' },
      },
    ],
    'current-context': STANDIN_CONTEXTS.main,
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/**
 * An environment for kubectl in tests: the current one minus anything that could point it at a
 * real cluster (in-cluster service variables, other kubeconfigs), with KUBECONFIG set.
 */
export function standinEnv(
  kubeconfig: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (
      key.startsWith('KUBERNETES_') ||
      key === 'KUBECONFIG' ||
      key.startsWith('GITHUB_') ||
      key === 'GH_TOKEN'
    )
      continue;
    env[key] = value;
  }
  env['KUBECONFIG'] = kubeconfig;
  // kubectl caches discovery under $HOME/.kube; keep each test's cache in its own folder.
  env['KUBECACHEDIR'] = `${kubeconfig}.cache`;
  return env;
}
