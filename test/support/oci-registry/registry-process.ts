/**
 * The real registry for tests: Debian's `docker-registry` (CNCF distribution 2.8), started with
 * its own config and storage in a temp folder on a free loopback port, with no auth, htpasswd
 * basic auth (bcrypt file made by `htpasswd -B` from apache2-utils), or token auth (the token
 * service in token-server.ts). `kill()` ends it like a crash and `restart()` brings it back on
 * the same port and storage with the same HTTP secret, so upload sessions survive as they would
 * on a real deployment.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TOKEN_ISSUER,
  TOKEN_SERVICE,
  startTokenServer,
  type TokenServer,
  type TokenServerOptions,
} from './token-server.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export type RegistryAuthMode =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | ({ kind: 'token' } & TokenServerOptions);

export interface RegistryOptions {
  auth?: RegistryAuthMode;
  /** Allow DELETE of manifests (default true). */
  deleteEnabled?: boolean;
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>`, as a store URL names it. */
  host: string;
  port: number;
  /** Folder holding config, storage and the log. */
  dir: string;
  storageDir: string;
  tokenServer: TokenServer | undefined;
  /** The registry's log so far (for debugging a failing test). */
  log(): string;
  /** Ends the process with SIGKILL (a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Stops everything and removes the folder. */
  stop(): Promise<void>;
}

/** A free loopback TCP port (the OS picks one; closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000 },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function writeHtpasswd(file: string, users: Record<string, string>): void {
  const lines = Object.entries(users).map(([user, password]) =>
    // -n: print, -i: password from stdin, -B: bcrypt (the only hash the registry accepts).
    execFileSync('htpasswd', ['-niB', user], { input: password, encoding: 'utf8' }).trim(),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Starts a registry; see the module comment. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-registry-'));
  const storageDir = join(dir, 'storage');
  const logFile = join(dir, 'registry.log');
  const auth = options.auth ?? { kind: 'none' };
  let tokenServer: TokenServer | undefined;
  let authYaml = '';
  if (auth.kind === 'htpasswd') {
    writeHtpasswd(join(dir, 'htpasswd'), auth.users);
    authYaml = `auth:\n  htpasswd:\n    realm: ghml-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    tokenServer = await startTokenServer(dir, auth);
    authYaml =
      `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${TOKEN_SERVICE}\n` +
      `    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${tokenServer.certFile}\n`;
  }
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storageDir}`,
      '  delete:',
      `    enabled: ${options.deleteEnabled ?? true}`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: ghml-test-registry-secret',
      authYaml,
    ].join('\n'),
  );

  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const out = openSync(logFile, 'a');
    child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', out, out] });
    closeSync(out);
    const started = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) break;
      if (await probe(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `docker-registry did not start on port ${port}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`,
    );
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    storageDir,
    tokenServer,
    log: () => readFileSync(logFile, 'utf8'),
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      await tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
