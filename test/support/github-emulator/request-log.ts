/** The emulator's log of every request it answered, for asserting call counts. */

/** One answered request. */
export interface LoggedRequest {
  method: string;
  /** The concrete path, e.g. `/repos/o/r/issues/5/comments`. */
  path: string;
  /** `METHOD /template` of the matched operation, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}`. */
  route: string | undefined;
  operationId: string | undefined;
  query: Record<string, string>;
  /** The parsed JSON body, if any. */
  body: unknown;
  status: number;
  /** Login of the token's identity (undefined for anonymous or unknown tokens). */
  login: string | undefined;
  /** True when an injected fault produced the answer. */
  faulted: boolean;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** Requests for a route (`METHOD /template`), or all of them. */
  filter(route?: string): LoggedRequest[] {
    return route === undefined ? [...this.entries] : this.entries.filter((e) => e.route === route);
  }

  count(route?: string): number {
    return this.filter(route).length;
  }

  /** Every request that is not a GET or HEAD. */
  writes(): LoggedRequest[] {
    return this.entries.filter((e) => e.method !== 'GET' && e.method !== 'HEAD');
  }

  clear(): void {
    this.entries.length = 0;
  }
}
