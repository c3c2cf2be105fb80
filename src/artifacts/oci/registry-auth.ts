/**
 * Authentication against one registry, as docker's client does it. Requests start anonymous;
 * the first 401 says how to authenticate:
 *   - `Basic realm=…` (htpasswd, ECR, Artifactory): later requests carry the credentials;
 *   - `Bearer realm=…,service=…,scope=…` (GHCR, Docker Hub, Harbor): ghml asks the realm for
 *     a token for the scopes it needs (GET with basic credentials, or an OAuth2 refresh-token
 *     POST for docker's identity tokens), caches it per scope set until it expires, and retries.
 * Credentials are sent only to the registry's own origin and to the realm it names, and the
 * realm must itself be https (or loopback http). Tokens and passwords never reach a message.
 */
import { URLSearchParams } from 'node:url';
import {
  assertTransportAllowed,
  readBodyText,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
import {
  RegistryAuthError,
  RegistryProtocolError,
  RegistryUnavailableError,
} from './oci-errors.js';
import type { RegistryCredential } from './registry-credential.js';
import type { CredentialProvider } from './registry-credentials.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

/** A token is renewed this long before it expires, so a long upload never sends a stale one. */
const EXPIRY_MARGIN_MS = 30_000;
/** Docker's default when a token response has no `expires_in`. */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE = 64 * 1024;

interface CachedToken {
  token: string;
  expiresAt: number;
}

interface BearerRealm {
  realm: URL;
  service: string | undefined;
}

/** What a refused token request was for, to build the error. */
export interface AuthContext {
  repository: string;
  access: 'pull' | 'push' | 'delete';
  /** The fix to name when the registry refuses (see authHint). */
  hint: (credential: RegistryCredential | null) => string;
}

export class RegistryAuth {
  private scheme: 'unknown' | 'basic' | 'bearer' = 'unknown';
  private bearer: BearerRealm | undefined;
  // A true private field: util.inspect and JSON never show the tokens.
  readonly #tokens = new Map<string, CachedToken>();

  constructor(
    readonly registry: string,
    private readonly credentials: CredentialProvider,
    private readonly transport: HttpTransport,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The Authorization header for a request needing `scopes`, or undefined to go anonymous
   * (nothing learned yet, or the registry needs none).
   */
  async authorization(
    scopes: readonly string[],
    context: AuthContext,
  ): Promise<string | undefined> {
    if (this.scheme === 'basic') return (await this.credentials())?.basicAuthorization();
    if (this.scheme === 'bearer') {
      const cached = this.#tokens.get(scopeKey(scopes));
      if (cached !== undefined && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) {
        return `Bearer ${cached.token}`;
      }
      // The realm is known: fetch the token now rather than spend a 401 round trip.
      return `Bearer ${await this.fetchToken(scopes, context)}`;
    }
    return undefined;
  }

  /**
   * Learns from a 401's challenge. Returns true when a retry may succeed (credentials or a new
   * token are now available), false when retrying would be refused again.
   */
  async challenge(
    header: string | undefined,
    scopes: readonly string[],
    sent: string | undefined,
    context: AuthContext,
  ): Promise<boolean> {
    const challenges = parseWwwAuthenticate(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer !== undefined) return this.learnBearer(bearer, scopes, sent, context);
    if (basic !== undefined) {
      this.scheme = 'basic';
      const authorization = (await this.credentials())?.basicAuthorization();
      return authorization !== undefined && authorization !== sent;
    }
    return false;
  }

  private async learnBearer(
    challenge: AuthChallenge,
    scopes: readonly string[],
    sent: string | undefined,
    context: AuthContext,
  ): Promise<boolean> {
    const realmText = challenge.params['realm'];
    let realm: URL;
    try {
      realm = new URL(realmText ?? '');
    } catch {
      throw new RegistryProtocolError(
        this.registry,
        'the authentication challenge',
        401,
        `its realm '${(realmText ?? '').slice(0, 200)}' is not a URL`,
      );
    }
    assertTransportAllowed(realm);
    this.scheme = 'bearer';
    this.bearer = { realm, service: challenge.params['service'] };
    // The registry may want more than ghml asked for (e.g. a mount's source repository).
    const wanted = new Set(scopes);
    for (const scope of (challenge.params['scope'] ?? '').split(' ')) if (scope) wanted.add(scope);
    const key = scopeKey(scopes);
    this.#tokens.delete(key);
    const extra = [...wanted].some((scope) => !scopes.includes(scope));
    if (
      sent?.startsWith('Bearer ') &&
      challenge.params['error'] === 'insufficient_scope' &&
      !extra
    ) {
      // A token for exactly these scopes was refused: the grant is missing, not stale.
      return false;
    }
    await this.fetchToken([...wanted], context);
    const fetched = this.#tokens.get(scopeKey([...wanted]));
    if (fetched !== undefined) this.#tokens.set(key, fetched);
    return true;
  }

  private async fetchToken(scopes: readonly string[], context: AuthContext): Promise<string> {
    const bearer = this.bearer;
    if (bearer === undefined) throw new Error('fetchToken before a bearer challenge');
    const credential = await this.credentials();
    const refresh = credential?.refreshToken();
    let response: HttpResponse;
    try {
      if (refresh !== undefined) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'ghml' });
        if (bearer.service) form.set('service', bearer.service);
        if (scopes.length > 0) form.set('scope', scopes.join(' '));
        form.set('refresh_token', refresh);
        response = await this.transport({
          method: 'POST',
          url: bearer.realm,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(form.toString()),
        });
      } else {
        const url = new URL(bearer.realm);
        if (bearer.service) url.searchParams.set('service', bearer.service);
        for (const scope of scopes) url.searchParams.append('scope', scope);
        const authorization = credential?.basicAuthorization();
        response = await this.transport({
          method: 'GET',
          url,
          headers: authorization === undefined ? {} : { authorization },
        });
      }
    } catch (error) {
      if (error instanceof RegistryProtocolError) throw error;
      throw new RegistryUnavailableError(
        this.registry,
        `the token request to ${bearer.realm.host}`,
        (error as Error).message,
        { cause: error },
      );
    }
    const text = await readBodyText(response.body, MAX_TOKEN_RESPONSE);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryAuthError(
        this.registry,
        context.repository,
        context.access,
        response.status,
        `the token service ${bearer.realm.host} refused the credentials`,
        context.hint(credential),
      );
    }
    if (response.status !== 200) {
      if (response.status >= 500 || response.status === 429) {
        throw new RegistryUnavailableError(
          this.registry,
          `the token request to ${bearer.realm.host}`,
          `HTTP ${response.status}`,
        );
      }
      throw new RegistryProtocolError(this.registry, 'the token request', response.status, '');
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const token = fields['token'] ?? fields['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw new RegistryProtocolError(
        this.registry,
        'the token request',
        200,
        'the answer holds no token',
      );
    }
    const seconds =
      typeof fields['expires_in'] === 'number' && fields['expires_in'] > 0
        ? fields['expires_in']
        : DEFAULT_TOKEN_SECONDS;
    this.#tokens.set(scopeKey(scopes), { token, expiresAt: this.now() + seconds * 1000 });
    return token;
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
