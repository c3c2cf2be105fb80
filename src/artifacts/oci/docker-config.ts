/**
 * Registry credentials from docker's client configuration, as `docker login` leaves them:
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). Per registry, in docker's
 * order: `credHelpers[registry]`, then `credsStore`, then `auths[registry]` (`auth` =
 * base64 `user:password`, or `identitytoken`). A helper is run as `docker-credential-<name> get`
 * from an argument array (never a shell), with the server URL on stdin, and without ghml's or
 * the workflow's tokens in its environment. The file is untrusted input: read with a size cap,
 * keys looked up without the prototype, helper names checked before they become a program name.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GhmlError } from '../../errors/ghml-error.js';
import { RegistryCredential } from './registry-credential.js';

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What running a credential helper returned. */
export interface HelperResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `program args…` with `input` on stdin (no shell). */
export type HelperRunner = (
  program: string,
  args: readonly string[],
  input: string,
  env: Env,
) => Promise<HelperResult>;

const MAX_CONFIG_BYTES = 1024 * 1024;
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** Variables a credential helper never needs and must never see. */
const WITHHELD_ENV =
  /^(GHML_REGISTRY_PASSWORD|GITHUB_TOKEN|GH_TOKEN|GH_ENTERPRISE_TOKEN|ACTIONS_.*|INPUT_.*)$/;

/** The docker config is unreadable, or a helper failed in a way that is not "not found". */
export class DockerCredentialsError extends GhmlError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'DockerCredentialsError';
  }
}

/** The default helper runner: child_process.execFile with a 30 s timeout. */
export const execHelper: HelperRunner = (program, args, input, env) =>
  new Promise((resolve) => {
    const child = execFile(
      program,
      [...args],
      { env: { ...env }, timeout: 30_000, maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({
          status: error === null ? 0 : typeof code === 'number' ? code : null,
          stdout: String(stdout),
          stderr:
            String(stderr) || (error !== null && typeof code !== 'number' ? error.message : ''),
        });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });

/** The directory of docker's config: `DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: Env): string {
  const dir = env['DOCKER_CONFIG']?.trim();
  return dir ? dir : join(env['HOME']?.trim() || homedir(), '.docker');
}

/** The key docker uses for a registry in config.json. */
export function dockerConfigKey(registry: string): string {
  return DOCKER_HUB_HOSTS.has(registry) ? DOCKER_HUB_KEY : registry;
}

/** A config.json key normalised to `host[:port]` (keys may be URLs, as older docker wrote). */
function normaliseKey(key: string): string {
  if (key === DOCKER_HUB_KEY) return key;
  const bare = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_HOSTS.has(bare) ? DOCKER_HUB_KEY : bare;
}

function lookup(map: unknown, key: string): unknown {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return undefined;
  for (const [name, value] of Object.entries(map)) {
    if (normaliseKey(name) === key) return value;
  }
  return undefined;
}

function helperEnv(env: Env): Env {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!WITHHELD_ENV.test(name)) out[name] = value;
  }
  return out;
}

/**
 * Credentials for `registry` (`host[:port]`) from the docker config, or null when it has none.
 * Throws DockerCredentialsError for an unreadable config or a failing helper.
 */
export async function dockerCredentials(
  registry: string,
  options: { env: Env; runHelper?: HelperRunner },
): Promise<RegistryCredential | null> {
  const file = join(dockerConfigDir(options.env), 'config.json');
  let text: string;
  try {
    const data = await readFile(file);
    if (data.length > MAX_CONFIG_BYTES) {
      throw new DockerCredentialsError(
        `${file} is larger than ${MAX_CONFIG_BYTES} bytes.`,
        'check the file; `docker logout` and `docker login` rewrite it',
      );
    }
    text = data.toString('utf8');
  } catch (error) {
    if (error instanceof DockerCredentialsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DockerCredentialsError(
      `Cannot read ${file}: ${(error as Error).message}.`,
      'fix its permissions, or set DOCKER_CONFIG to another folder',
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new DockerCredentialsError(
      `${file} is not valid JSON.`,
      'fix the file, or run `docker login` again to rewrite it',
    );
  }
  if (typeof config !== 'object' || config === null) return null;
  const key = dockerConfigKey(registry);
  const record = config as Record<string, unknown>;

  const helper =
    lookup(record['credHelpers'], key) ??
    (Object.hasOwn(record, 'credsStore') ? record['credsStore'] : undefined);
  if (typeof helper === 'string' && helper !== '') {
    const fromHelper = await helperCredentials(helper, key, options);
    if (fromHelper !== null) return fromHelper;
  }
  return fileCredentials(lookup(record['auths'], key), file);
}

function fileCredentials(entry: unknown, file: string): RegistryCredential | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const fields = entry as Record<string, unknown>;
  const source = `${file} (auths)`;
  const identity = fields['identitytoken'];
  if (typeof identity === 'string' && identity !== '') {
    return RegistryCredential.identityToken(identity, source);
  }
  const auth = fields['auth'];
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new DockerCredentialsError(
        `${file}: an 'auth' entry is not base64 of 'user:password'.`,
        'run `docker login` again to rewrite it',
      );
    }
    return RegistryCredential.basic(decoded.slice(0, colon), decoded.slice(colon + 1), source);
  }
  const username = fields['username'];
  const password = fields['password'];
  if (typeof username === 'string' && typeof password === 'string' && username !== '') {
    return RegistryCredential.basic(username, password, source);
  }
  return null;
}

async function helperCredentials(
  name: string,
  serverUrl: string,
  options: { env: Env; runHelper?: HelperRunner },
): Promise<RegistryCredential | null> {
  const program = `docker-credential-${name}`;
  if (!HELPER_NAME.test(name)) {
    throw new DockerCredentialsError(
      `The docker config names the credential helper '${name.slice(0, 80)}', which is not a helper name.`,
      'fix credHelpers/credsStore in the docker config (e.g. "credsStore": "desktop")',
    );
  }
  const run = options.runHelper ?? execHelper;
  const result = await run(program, ['get'], serverUrl, helperEnv(options.env));
  if (result.status !== 0) {
    const said = `${result.stdout} ${result.stderr}`.trim();
    // The protocol's answer for "no credentials stored for this server".
    if (/credentials not found/i.test(said)) return null;
    throw new DockerCredentialsError(
      `${program} get failed${result.status === null ? '' : ` with exit status ${result.status}`}${said ? `: ${said.split('\n')[0]?.slice(0, 200)}` : ''}.`,
      `check that ${program} is installed and on PATH, or log in again with \`docker login ${serverUrl}\``,
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(result.stdout);
  } catch {
    throw new DockerCredentialsError(
      `${program} get did not print JSON.`,
      `check the helper with \`echo ${serverUrl} | ${program} get\``,
    );
  }
  const fields = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<
    string,
    unknown
  >;
  const username = fields['Username'];
  const secret = fields['Secret'];
  if (typeof secret !== 'string' || secret === '') return null;
  if (username === '<token>') return RegistryCredential.identityToken(secret, program);
  if (typeof username !== 'string') return null;
  return RegistryCredential.basic(username, secret, program);
}
