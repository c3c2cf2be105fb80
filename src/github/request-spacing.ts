/**
 * A minimal stand-in for the Bottleneck groups @octokit/plugin-throttling spaces writes with
 * (by default one write per second, one content-creating write per three seconds). It lets
 * ghml choose the spacing, e.g. none in tests against the local emulator, without depending
 * on Bottleneck directly. The plugin only calls `group.key(id).schedule([options], fn, ...args)`.
 */

type Job = (...args: unknown[]) => unknown;

/** Runs scheduled jobs one after another, starting each at least `intervalMs` after the last. */
class IntervalLimiter implements Limiter {
  private last = Number.NEGATIVE_INFINITY;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly intervalMs: number) {}

  schedule(...args: unknown[]): Promise<unknown> {
    const [first, ...rest] = args;
    const [job, jobArgs] =
      typeof first === 'function' ? [first as Job, rest] : [rest[0] as Job, rest.slice(1)];
    const turn = this.queue.then(async () => {
      const wait = this.last + this.intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.last = Date.now();
    });
    this.queue = turn;
    return turn.then(() => job(...jobArgs));
  }
}

/** What the plugin calls on a limiter. */
export interface Limiter {
  schedule(...args: unknown[]): Promise<unknown>;
}

/** A group of limiters, one per key (the plugin keys them by its `id` option). */
export interface SpacingGroup {
  key(id?: string): Limiter;
}

export function createSpacingGroup(intervalMs: number): SpacingGroup {
  const limiters = new Map<string, Limiter>();
  return {
    key(id = '') {
      let limiter = limiters.get(id);
      if (limiter === undefined) {
        limiter = new IntervalLimiter(intervalMs);
        limiters.set(id, limiter);
      }
      return limiter;
    },
  };
}
