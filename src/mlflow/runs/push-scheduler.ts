/**
 * Pushes recorded runs in batches for `ghml server`: a push starts once no run was recorded
 * for `quietMs`, or `maxWaitMs` after the first unpushed run, whichever is first. A failed
 * push loses nothing (the runs stay on the local tracking branch) and is retried after
 * `retryMs`; `flush` pushes whatever is left, e.g. on shutdown.
 */
import { describeError } from '../../errors/ghml-error.js';

export interface PushSchedulerOptions {
  /** Pushes the local tracking branch; throws when the push fails. */
  push: () => Promise<void>;
  log: (message: string) => void;
  quietMs?: number;
  maxWaitMs?: number;
  retryMs?: number;
}

export class PushScheduler {
  private timer: NodeJS.Timeout | undefined;
  private firstPending: number | undefined;
  private running: Promise<void> | undefined;
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly retryMs: number;
  /** Pushes done and failed, for tests and the log. */
  pushes = 0;
  failures = 0;

  constructor(private readonly options: PushSchedulerOptions) {
    this.quietMs = options.quietMs ?? 2000;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.retryMs = options.retryMs ?? 60_000;
  }

  /** Notes that a run was recorded locally. */
  recorded(): void {
    const now = Date.now();
    this.firstPending ??= now;
    const delay = Math.max(0, Math.min(this.quietMs, this.firstPending + this.maxWaitMs - now));
    this.arm(delay);
  }

  /** Pushes now if anything is pending; never throws. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.firstPending !== undefined) await this.pushNow();
  }

  /** Stops the timer without pushing. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pushNow();
    }, delay);
    this.timer.unref();
  }

  private async pushNow(): Promise<void> {
    if (this.running !== undefined) {
      await this.running;
      if (this.firstPending !== undefined) this.arm(this.quietMs);
      return;
    }
    this.firstPending = undefined;
    this.running = (async () => {
      try {
        await this.options.push();
        this.pushes += 1;
      } catch (error) {
        this.failures += 1;
        this.firstPending ??= Date.now();
        this.options.log(
          `ghml: push failed, the runs are kept on the local branch and the push is retried in ${Math.round(this.retryMs / 1000)} s: ${describeError(error)}`,
        );
        this.arm(this.retryMs);
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }
}
