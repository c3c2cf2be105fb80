/**
 * The hidden marker that makes a PR comment sticky: `<!-- ghml:<kind>:<key> -->`.
 * `formatCommentMarker` and `parseCommentMarker` are a round-trip pair. Keys are untrusted
 * (experiment names, matrix keys): every character outside a small safe set is
 * percent-encoded, so a key can never close the comment (`-->`) or break the marker.
 */
import { UsageError } from '../errors/ghml-error.js';

/** What a sticky comment is for (`compare`, `model-card`, …) and which instance. */
export interface CommentMarker {
  kind: string;
  key: string;
}

/** Kinds are chosen by ghml, not by users: lower-case words joined by '-'. */
const KIND = /^[a-z][a-z0-9-]{0,39}$/u;
const SAFE_CHAR = /^[A-Za-z0-9._~=,+/-]$/u;
const ENCODED_KEY = /^(?:[A-Za-z0-9._~=,+/-]|%[0-9A-F]{2})*$/u;
const MARKER = /<!-- ghml:([a-z][a-z0-9-]{0,39}):(\S*?) -->/u;

/** A comment-marker kind that is not a lower-case word. */
export class InvalidMarkerKindError extends UsageError {
  readonly kind: string;

  constructor(kind: string) {
    super(`Invalid comment marker kind '${kind.slice(0, 60)}'.`, {
      hint: "use lower-case letters, digits and '-', starting with a letter (e.g. 'compare')",
    });
    this.name = 'InvalidMarkerKindError';
    this.kind = kind;
  }
}

function encodeKey(key: string): string {
  let out = '';
  for (const char of key) {
    if (SAFE_CHAR.test(char)) {
      out += char;
      continue;
    }
    // Lone surrogates cannot be encoded as UTF-8; they become U+FFFD.
    for (const byte of new TextEncoder().encode(char)) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** `<!-- ghml:compare:iris -->`; throws `InvalidMarkerKindError` for a bad kind. */
export function formatCommentMarker(kind: string, key: string): string {
  if (!KIND.test(kind)) throw new InvalidMarkerKindError(kind);
  return `<!-- ghml:${kind}:${encodeKey(key)} -->`;
}

/**
 * The first ghml marker in `body`, or undefined when there is none or it is not exactly
 * what `formatCommentMarker` would write.
 */
export function parseCommentMarker(body: string): CommentMarker | undefined {
  const match = MARKER.exec(body);
  if (!match) return undefined;
  const [, kind = '', encoded = ''] = match;
  if (!ENCODED_KEY.test(encoded)) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  // Only canonical encodings round-trip; anything else was not written by ghml.
  if (encodeKey(key) !== encoded) return undefined;
  return { kind, key };
}
