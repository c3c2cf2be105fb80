/**
 * Warnings collected while ingesting a run. Ingestion never gives up on a run because one
 * event, file entry or artifact is bad: the bad item is skipped and reported here instead.
 */

/** One skipped item: where it came from and why it was skipped. */
export interface IngestWarning {
  /** File the item came from (events file, params.yaml, an artifact path) or 'stdout'. */
  source: string;
  /** 1-based line in `source`, when the item has one. */
  line?: number;
  message: string;
}

/** Formats a warning as `source:line: message`, the way compilers do. */
export function formatWarning(warning: IngestWarning): string {
  const where = warning.line === undefined ? warning.source : `${warning.source}:${warning.line}`;
  return `${where}: ${warning.message}`;
}

/**
 * Keeps the first `limit` warnings and counts the rest, so a file with a million bad lines
 * cannot exhaust memory or flood the log.
 */
export class WarningList {
  private readonly items: IngestWarning[] = [];
  private droppedCount = 0;

  constructor(readonly limit = 100) {}

  add(warning: IngestWarning): void {
    if (this.items.length < this.limit) this.items.push(warning);
    else this.droppedCount += 1;
  }

  /** Warnings not kept because the limit was reached. */
  get dropped(): number {
    return this.droppedCount;
  }

  get total(): number {
    return this.items.length + this.droppedCount;
  }

  /** The kept warnings, plus one summary line when some were dropped. */
  list(): IngestWarning[] {
    if (this.droppedCount === 0) return [...this.items];
    return [
      ...this.items,
      { source: 'ghml', message: `${this.droppedCount} more warnings were not shown` },
    ];
  }
}
