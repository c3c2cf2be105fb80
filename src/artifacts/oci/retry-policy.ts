/**
 * When and how long to wait before trying a registry request again: network failures, 5xx,
 * 408 and 429 are retried with exponential backoff and full jitter; a `Retry-After` header
 * (seconds or an HTTP date) is honoured as the minimum wait. The whole wait is bounded by
 * `maxAttempts` and a time budget, so a dead registry fails in bounded time.
 */

export interface RetryOptions {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts?: number;
  /** First backoff ceiling in ms; doubles each attempt. Default 500. */
  baseDelayMs?: number;
  /** Largest single wait in ms, Retry-After included. Default 30000. */
  maxDelayMs?: number;
  /** Total ms one operation may spend waiting. Default 120000. */
  budgetMs?: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** `Retry-After` in ms (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** One operation's retry state: call `next()` after a failure; false means give up. */
export class RetryBudget {
  private attempt = 1;
  private waited = 0;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly budgetMs: number;

  constructor(
    options: RetryOptions = {},
    private readonly sleep: Sleep = defaultSleep,
    private readonly random: () => number = Math.random,
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.budgetMs = options.budgetMs ?? 120_000;
  }

  /** Attempts made so far. */
  get attempts(): number {
    return this.attempt;
  }

  /**
   * Waits before the next attempt and returns true, or returns false when the attempts or the
   * time budget are spent (or the server asks for a longer wait than allowed).
   */
  async next(retryAfterMs?: number): Promise<boolean> {
    if (this.attempt >= this.maxAttempts) return false;
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (this.attempt - 1));
    let delay = Math.floor(this.random() * ceiling);
    if (retryAfterMs !== undefined) {
      if (retryAfterMs > this.maxDelayMs) return false;
      delay = Math.max(delay, retryAfterMs);
    }
    if (this.waited + delay > this.budgetMs) return false;
    this.attempt += 1;
    this.waited += delay;
    await this.sleep(delay);
    return true;
  }
}
