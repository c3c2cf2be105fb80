/**
 * Where ghml's GitHub token comes from, and how it is kept out of logs and error messages.
 */
import { GhmlError } from '../errors/ghml-error.js';

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** No token was given and none is in the environment. */
export class MissingTokenError extends GhmlError {
  constructor() {
    super('No GitHub token: none was given, and GITHUB_TOKEN and GH_TOKEN are not set.', {
      hint:
        "In a workflow, pass `env: GITHUB_TOKEN: ${{ github.token }}` (or the action's `token` " +
        'input); on a laptop, run `export GH_TOKEN=$(gh auth token)`.',
    });
    this.name = 'MissingTokenError';
  }
}

/** The token: an explicit value first, then `GITHUB_TOKEN`, then `GH_TOKEN`; or undefined. */
export function tryResolveToken(options: {
  token?: string | undefined;
  env: Env;
}): string | undefined {
  for (const candidate of [options.token, options.env['GITHUB_TOKEN'], options.env['GH_TOKEN']]) {
    const value = candidate?.trim();
    if (value) {
      registerSecret(value);
      return value;
    }
  }
  return undefined;
}

/** Like {@link tryResolveToken}, but throws {@link MissingTokenError} when there is none. */
export function resolveToken(options: { token?: string | undefined; env: Env }): string {
  const token = tryResolveToken(options);
  if (token === undefined) throw new MissingTokenError();
  return token;
}

const secrets = new Set<string>();

/** Remembers a secret so {@link redact} masks it wherever it appears. */
export function registerSecret(value: string): void {
  // Very short values would mask innocent text; real tokens are long.
  if (value.length >= 8) secrets.add(value);
}

// Token shapes GitHub issues, and credentials in headers or URLs, in case one was never registered.
const TOKEN_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(authorization["']?\s*[:=]\s*["']?(?:token|bearer|basic)\s+)[^\s"',]+/gi,
  /(\/\/[^/\s:@]+:)[^/\s@]+(?=@)/g,
];

/** Replaces every registered secret and anything shaped like a GitHub token with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  for (const pattern of TOKEN_PATTERNS) {
    out = out.replace(pattern, (match, prefix: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}***` : '***',
    );
  }
  return out;
}
