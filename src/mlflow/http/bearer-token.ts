/**
 * The endpoint's bearer token: generated with 32 random bytes when none is given, compared in
 * constant time. A request must carry `Authorization: Bearer <token>` (MLflow clients send it
 * from MLFLOW_TRACKING_TOKEN) whenever a token is configured.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Checks requests against one token without keeping its text around in a comparable form. */
export class TokenCheck {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = createHash('sha256').update(token).digest();
  }

  accepts(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    const given = createHash('sha256')
      .update(match[1] as string)
      .digest();
    return timingSafeEqual(given, this.digest);
  }
}
