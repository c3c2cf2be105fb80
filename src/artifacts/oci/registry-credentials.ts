/**
 * Which credentials ghml presents to a registry, in order:
 *   1. the workflow's job token, passed in by the caller (never read from INPUT_* here), and
 *      only for GitHub's container registry: the token is never sent to any other host;
 *   2. `GHML_REGISTRY_USERNAME` and `GHML_REGISTRY_PASSWORD`;
 *   3. docker's config (`$DOCKER_CONFIG/config.json`: credHelpers, credsStore, auths);
 *   4. none (anonymous).
 * The result is computed once, when the registry first asks for credentials, so a credential
 * helper is not run for a registry that never challenges.
 */
import { UsageError } from '../../errors/ghml-error.js';
import { dockerCredentials, type Env, type HelperRunner } from './docker-config.js';
import { RegistryCredential } from './registry-credential.js';

export interface CredentialOptions {
  env: Env;
  /** The workflow's job token (GITHUB_TOKEN), when running on GitHub Actions. */
  jobToken?: string;
  /** Runs docker credential helpers; tests inject one. */
  runHelper?: HelperRunner;
}

/** Produces the credentials for one registry, or null for anonymous access. */
export type CredentialProvider = () => Promise<RegistryCredential | null>;

/** GitHub's container registries: ghcr.io, and `containers.<host>` on GitHub Enterprise. */
export function isGitHubContainerRegistry(registry: string, env: Env): boolean {
  if (registry === 'ghcr.io') return true;
  const server = env['GITHUB_SERVER_URL']?.trim();
  if (!server) return false;
  try {
    const host = new URL(server).host.toLowerCase();
    return host !== 'github.com' && registry === `containers.${host}`;
  } catch {
    return false;
  }
}

/** Resolves the credentials for `registry` now (see the module comment for the order). */
export async function resolveRegistryCredentials(
  registry: string,
  options: CredentialOptions,
): Promise<RegistryCredential | null> {
  const token = options.jobToken?.trim();
  if (token && isGitHubContainerRegistry(registry, options.env)) {
    // GHCR accepts any user name with a token; the actor keeps its audit log readable.
    const actor = options.env['GITHUB_ACTOR']?.trim() || 'ghml';
    return RegistryCredential.basic(actor, token, 'the workflow token (GITHUB_TOKEN)');
  }
  const username = options.env['GHML_REGISTRY_USERNAME'];
  const password = options.env['GHML_REGISTRY_PASSWORD'];
  if (username || password) {
    if (!username || !password) {
      throw new UsageError(
        `${username ? 'GHML_REGISTRY_PASSWORD' : 'GHML_REGISTRY_USERNAME'} is not set, but ${username ? 'GHML_REGISTRY_USERNAME' : 'GHML_REGISTRY_PASSWORD'} is.`,
        { hint: 'set both GHML_REGISTRY_USERNAME and GHML_REGISTRY_PASSWORD, or neither' },
      );
    }
    return RegistryCredential.basic(
      username,
      password,
      'GHML_REGISTRY_USERNAME/GHML_REGISTRY_PASSWORD',
    );
  }
  return dockerCredentials(registry, {
    env: options.env,
    ...(options.runHelper ? { runHelper: options.runHelper } : {}),
  });
}

/** A provider that resolves once, on first use, and remembers the answer. */
export function credentialProvider(
  registry: string,
  options: CredentialOptions,
): CredentialProvider {
  let pending: Promise<RegistryCredential | null> | undefined;
  return () => {
    pending ??= resolveRegistryCredentials(registry, options);
    return pending;
  };
}

/** The fix to name when `registry` refuses access, given where the credentials came from. */
export function authHint(
  registry: string,
  access: 'pull' | 'push' | 'delete',
  credential: RegistryCredential | null,
  env: Env,
): string {
  if (isGitHubContainerRegistry(registry, env) && env['GITHUB_ACTIONS'] === 'true') {
    const permission = access === 'pull' ? 'packages: read' : 'packages: write';
    return (
      `give the job \`permissions: ${permission}\` in the workflow; if the package already ` +
      "exists, also grant this repository access in the package's settings (Manage Actions access)"
    );
  }
  const login =
    `run \`docker login ${registry}\`, or set GHML_REGISTRY_USERNAME and GHML_REGISTRY_PASSWORD` +
    (registry === 'ghcr.io'
      ? ` (a token with the ${access === 'pull' ? 'read:packages' : 'write:packages'} scope)`
      : '');
  return credential === null
    ? `ghml had no credentials for ${registry}: ${login}`
    : `the ${credential.toString()} were refused for ${access}: ${login}`;
}
