/** Typed errors of the content stores (the local cache and artifact stores). */
import { GhmlError } from '../errors/ghml-error.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** Throws InvalidDigestError unless `sha256` is 64 lowercase hex characters. */
export function assertSha256(sha256: string): void {
  if (!SHA256.test(sha256)) throw new InvalidDigestError(sha256);
}

export class InvalidDigestError extends GhmlError {
  constructor(readonly digest: string) {
    super(`'${digest.slice(0, 80)}' is not a sha256 digest (64 lowercase hex characters).`);
    this.name = 'InvalidDigestError';
  }
}

/** The bytes read did not hash to the digest they were stored or recorded under. */
export class DigestMismatchError extends GhmlError {
  constructor(
    readonly where: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${where}: expected sha256 ${expected}, got ${actual}.`, {
      hint: 'the copy is damaged or the file changed while it was read; nothing was kept, so retry',
    });
    this.name = 'DigestMismatchError';
  }
}

/** The size read differs from the size recorded. */
export class SizeMismatchError extends GhmlError {
  constructor(
    readonly where: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${where}: expected ${expected} bytes, got ${actual}.`, {
      hint: 'the file changed while it was read, or the copy is truncated; nothing was kept, so retry',
    });
    this.name = 'SizeMismatchError';
  }
}

/** The store holds no content with this digest. */
export class ContentNotFoundError extends GhmlError {
  constructor(
    readonly store: string,
    readonly sha256: string,
  ) {
    super(`${store} has no content with sha256 ${sha256}.`, {
      hint: 'push it from the machine that has it with `ghml push`, or check the store setting `artifacts.store` in ghml.yml',
    });
    this.name = 'ContentNotFoundError';
  }
}

/** An artifact path that could escape its folder or is not a plain relative path. */
export class UnsafeArtifactPathError extends GhmlError {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly where: string,
  ) {
    super(`${where}: the artifact path '${path.slice(0, 300)}' ${problem}.`, {
      hint: "artifact paths are relative, '/'-separated, without '.' or '..' segments; rename the file inside the artifacts folder",
      exitCode: 2,
    });
    this.name = 'UnsafeArtifactPathError';
  }
}
