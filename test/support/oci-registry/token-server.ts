/**
 * A token service for the real registry's `auth.token` mode (docker's token authentication):
 * GET /token?service=…&scope=… with optional basic credentials, or the OAuth2 POST with a
 * refresh token, answers a JWT signed (RS256, certificate in `x5c`) with a key made by openssl
 * at setup; the registry verifies it against the certificate in its `rootcertbundle`. Each
 * user's grant is decided by `grant`; every request is recorded for assertions.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const TOKEN_SERVICE = 'ghml-test-registry';
export const TOKEN_ISSUER = 'ghml-test-issuer';

/** Which actions of a requested scope a user (null: anonymous) is granted. */
export type GrantPolicy = (user: string | null, repository: string, actions: string[]) => string[];

export interface TokenRequestRecord {
  method: string;
  user: string | null;
  scopes: string[];
  /** True when the request carried an Authorization header. */
  authorized: boolean;
}

export interface TokenServerOptions {
  /** user -> password. */
  users: Record<string, string>;
  /** refresh token -> user, for the OAuth2 refresh_token grant. */
  refreshTokens?: Record<string, string>;
  /** Default: authenticated users get what they ask; anonymous users get nothing. */
  grant?: GrantPolicy;
  /** Token lifetime in seconds (default 300). */
  ttlSeconds?: number;
  /**
   * Lifetime written into the JWT itself, when it should differ from the `expires_in` the
   * answer reports (a token that dies early, as with clock skew). Default: ttlSeconds.
   */
  jwtTtlSeconds?: number;
}

export interface TokenServer {
  realm: string;
  /** Every token issued, to check none is ever printed. */
  issued: string[];
  certFile: string;
  requests: TokenRequestRecord[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Makes a self-signed key pair with openssl in `dir` and starts the service on loopback. */
export async function startTokenServer(
  dir: string,
  options: TokenServerOptions,
): Promise<TokenServer> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=ghml-test-token-issuer',
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyFile);
  const der = readFileSync(certFile, 'utf8')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  const grant: GrantPolicy =
    options.grant ?? ((user, _repo, actions) => (user === null ? [] : actions));
  const ttl = options.ttlSeconds ?? 300;
  const requests: TokenRequestRecord[] = [];
  const issued: string[] = [];

  const issue = (user: string | null, scopes: string[]): string => {
    const access = scopes.flatMap((scope) => {
      const match = /^repository:([^:]+):(.+)$/.exec(scope);
      if (match?.[1] === undefined || match[2] === undefined) return [];
      const granted = grant(user, match[1], match[2].split(','));
      return granted.length === 0 ? [] : [{ type: 'repository', name: match[1], actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const head = encode({ alg: 'RS256', typ: 'JWT', x5c: [der] });
    const body = encode({
      iss: TOKEN_ISSUER,
      sub: user ?? '',
      aud: TOKEN_SERVICE,
      exp: now + (options.jwtTtlSeconds ?? ttl),
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    });
    const token = `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), key).toString('base64url')}`;
    issued.push(token);
    return token;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token');
      const reply = (status: number, body: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') return reply(404, { error: 'not found' });
      let user: string | null = null;
      let scopes: string[];
      const header = req.headers.authorization;
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const refresh = form.get('refresh_token') ?? '';
        const owner = options.refreshTokens?.[refresh];
        requests.push({ method: 'POST', user: owner ?? null, scopes, authorized: false });
        if (form.get('grant_type') !== 'refresh_token' || owner === undefined) {
          return reply(401, { error: 'invalid_grant' });
        }
        user = owner;
        const token = issue(user, scopes);
        return reply(200, { access_token: token, expires_in: ttl });
      }
      scopes = url.searchParams.getAll('scope');
      if (url.searchParams.get('service') !== TOKEN_SERVICE)
        return reply(400, { error: 'bad service' });
      if (header !== undefined) {
        const match = /^Basic (.+)$/.exec(header);
        const decoded = Buffer.from(match?.[1] ?? '', 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const name = decoded.slice(0, colon);
        if (
          colon <= 0 ||
          !Object.hasOwn(options.users, name) ||
          options.users[name] !== decoded.slice(colon + 1)
        ) {
          requests.push({ method: 'GET', user: null, scopes, authorized: true });
          return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
        }
        user = name;
      }
      requests.push({ method: 'GET', user, scopes, authorized: header !== undefined });
      const token = issue(user, scopes);
      return reply(200, {
        token,
        access_token: token,
        expires_in: ttl,
        issued_at: new Date().toISOString(),
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    issued,
    certFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
