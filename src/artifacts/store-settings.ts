/**
 * Which artifact store a command uses, and opening it. `artifacts.store` in ghml.yml wins; when
 * it is absent, on GitHub Actions (GITHUB_ACTIONS=true) the store is the repository's own
 * package namespace in GitHub's container registry, `oci://ghcr.io/<owner>/<repo>` lowercased
 * (`containers.<host>` on GitHub Enterprise Server), reached with the job token the caller
 * passes in; elsewhere there is none. Opening a store creates its registry client (credentials
 * resolved lazily, see oci/registry-credentials.ts), the local cache and the pending queue
 * under `<git dir>/ghml/`.
 */
import {
  REPOSITORY_PATH,
  formatArtifactStoreUrl,
  type ArtifactStoreUrl,
} from '../config/artifact-store-url.js';
import { UsageError } from '../errors/ghml-error.js';
import { ArtifactStore } from './artifact-store.js';
import { LocalContentStore, localCacheRoot } from './local-content-store.js';
import type { BlobUploadOptions } from './oci/blob-upload.js';
import type { Env, HelperRunner } from './oci/docker-config.js';
import type { HttpTransport } from './oci/http-transport.js';
import { RegistryClient } from './oci/registry-client.js';
import { authHint, credentialProvider } from './oci/registry-credentials.js';
import type { RetryOptions, Sleep } from './oci/retry-policy.js';
import { pendingDir } from './pending-queue.js';

/** The store in force and where that choice came from. */
export interface EffectiveStore {
  url: ArtifactStoreUrl;
  /** 'ghml.yml', 'the GitHub Actions default' or 'the default'. */
  source: string;
}

/** The default store on GitHub Actions, from GITHUB_REPOSITORY (and GITHUB_SERVER_URL). */
export function actionsDefaultStore(env: Env): ArtifactStoreUrl {
  const repository = env['GITHUB_REPOSITORY']?.trim() ?? '';
  const prefix = repository.toLowerCase();
  if (!REPOSITORY_PATH.test(prefix) || prefix.split('/').length !== 2) {
    throw new UsageError(
      `GITHUB_REPOSITORY '${repository.slice(0, 200)}' does not give a container registry path.`,
      {
        hint: 'set artifacts.store in ghml.yml, e.g. `store: oci://ghcr.io/<owner>/<name>`, or `store: none`',
      },
    );
  }
  let registry = 'ghcr.io';
  const server = env['GITHUB_SERVER_URL']?.trim();
  if (server) {
    try {
      const host = new URL(server).host.toLowerCase();
      if (host !== 'github.com') registry = `containers.${host}`;
    } catch {
      // keep ghcr.io
    }
  }
  return { kind: 'oci', registry, prefix };
}

/** The store a command uses; see the module comment. */
export function effectiveStore(setting: ArtifactStoreUrl | undefined, env: Env): EffectiveStore {
  if (setting !== undefined) return { url: setting, source: 'ghml.yml' };
  if (env['GITHUB_ACTIONS'] === 'true') {
    return { url: actionsDefaultStore(env), source: 'the GitHub Actions default' };
  }
  return { url: { kind: 'none' }, source: 'the default' };
}

export interface OpenStoreOptions {
  /** `config.artifacts.store` (absent: the environment's default). */
  setting: ArtifactStoreUrl | undefined;
  env: Env;
  /** The repository's git directory: the cache and pending records live under `ghml/`. */
  gitDir: string;
  /** The workflow's job token, when the caller has one (used only for GitHub's registry). */
  jobToken?: string;
  transport?: HttpTransport;
  runHelper?: HelperRunner;
  retry?: RetryOptions;
  sleep?: Sleep;
  upload?: BlobUploadOptions;
  debug?: (message: string) => void;
}

/**
 * In a workflow step that runs the CLI (`run: ghml …` with `env: GITHUB_TOKEN:
 * ${{ github.token }}`), the token the step was given is the job token. Like the action's, it
 * is only ever presented to GitHub's container registry (see credentialProvider).
 */
export function stepJobToken(env: Env): string | undefined {
  if (env['GITHUB_ACTIONS'] !== 'true') return undefined;
  const token = (env['GITHUB_TOKEN'] ?? env['GH_TOKEN'] ?? '').trim();
  return token === '' ? undefined : token;
}

/** Opens the store in force, or returns null when it is `none`. */
export function openArtifactStore(options: OpenStoreOptions): ArtifactStore | null {
  const { url } = effectiveStore(options.setting, options.env);
  if (url.kind === 'none') return null;
  const jobToken = options.jobToken ?? stepJobToken(options.env);
  const credentials = credentialProvider(url.registry, {
    env: options.env,
    ...(jobToken === undefined ? {} : { jobToken }),
    ...(options.runHelper === undefined ? {} : { runHelper: options.runHelper }),
  });
  const client = new RegistryClient({
    registry: url.registry,
    credentials,
    authHint: (access, credential) => authHint(url.registry, access, credential, options.env),
    ...(options.transport === undefined ? {} : { transport: options.transport }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.debug === undefined ? {} : { debug: options.debug }),
  });
  const server = options.env['GITHUB_SERVER_URL']?.trim().replace(/\/+$/, '');
  const repository = options.env['GITHUB_REPOSITORY']?.trim();
  const source =
    server && repository && /^https:\/\/[^\s/]+$/.test(server)
      ? `${server}/${repository}`
      : undefined;
  return new ArtifactStore({
    ...(source === undefined ? {} : { source }),
    registry: url.registry,
    prefix: url.prefix,
    client,
    cache: new LocalContentStore(localCacheRoot(options.gitDir)),
    pendingDir: pendingDir(options.gitDir),
    upload: {
      ...options.upload,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    },
  });
}

/** The text of the store in force, for messages and `--json` output. */
export function describeStore(setting: ArtifactStoreUrl | undefined, env: Env): string {
  const { url, source } = effectiveStore(setting, env);
  return `${formatArtifactStoreUrl(url)} (${source})`;
}
