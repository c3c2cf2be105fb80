/**
 * One set of registry credentials, holding its secret where nothing prints it: the secret is a
 * private field, `toString`, `toJSON` and Node's inspection show only the user name and the
 * source, and the secret is registered for redaction (src/github/token.ts) so any message that
 * somehow quotes it is masked. `source` says where the credentials came from, for hints.
 */
import { registerSecret } from '../../github/token.js';

export type CredentialKind = 'basic' | 'identity-token';

export class RegistryCredential {
  readonly #secret: string;

  private constructor(
    readonly kind: CredentialKind,
    /** The user name ('' for an identity token). */
    readonly username: string,
    secret: string,
    /** Where it came from, e.g. 'GHML_REGISTRY_USERNAME/GHML_REGISTRY_PASSWORD'. */
    readonly source: string,
  ) {
    this.#secret = secret;
    registerSecret(secret);
  }

  /** A user name and password (or token used as a password). */
  static basic(username: string, password: string, source: string): RegistryCredential {
    return new RegistryCredential('basic', username, password, source);
  }

  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  static identityToken(token: string, source: string): RegistryCredential {
    return new RegistryCredential('identity-token', '', token, source);
  }

  /** `Basic <base64>` for an Authorization header; undefined for identity tokens. */
  basicAuthorization(): string | undefined {
    if (this.kind !== 'basic') return undefined;
    return `Basic ${Buffer.from(`${this.username}:${this.#secret}`).toString('base64')}`;
  }

  /** The refresh token of an identity-token credential (for the OAuth2 POST body only). */
  refreshToken(): string | undefined {
    return this.kind === 'identity-token' ? this.#secret : undefined;
  }

  toString(): string {
    return `${this.kind} credentials${this.username ? ` for '${this.username}'` : ''} from ${this.source}`;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, username: this.username, source: this.source };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RegistryCredential(${this.toString()})`;
  }
}
