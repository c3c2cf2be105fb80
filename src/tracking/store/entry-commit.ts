/**
 * The messages of the commits the tracking branch is made of. Each commit that adds a run or
 * an event names what it added in a trailer, so the push protocol can move entries between
 * tips (rebuild, inbox delivery, fold) without diffing trees:
 *   `Ghml-Run: <run folder path>`, `Ghml-Event: <event file path>`, `Ghml-Seal: <segment>`.
 * `Ghml-Open: <n>` counts the entries in the commit's open bucket, so a writer knows when to
 * seal without listing the bucket (a wrong count only seals early or late).
 */
export const RUN_TRAILER = 'Ghml-Run';
export const EVENT_TRAILER = 'Ghml-Event';
export const SEAL_TRAILER = 'Ghml-Seal';
/** How many entries (runs plus events) the commit's open bucket holds: when to seal. */
export const OPEN_TRAILER = 'Ghml-Open';

/** What a commit message says the commit added. */
export interface EntryTrailers {
  runPaths: string[];
  eventPaths: string[];
  /** Name of the segment a seal commit sealed. */
  seal: string | undefined;
  /** Entries in the commit's open bucket, when the commit says. */
  open: number | undefined;
}

/** A commit message: one summary line, then the trailers. */
export function entryMessage(
  summary: string,
  trailers: {
    runPaths?: readonly string[];
    eventPaths?: readonly string[];
    seal?: string;
    open?: number;
  },
): string {
  const lines = [
    ...(trailers.runPaths ?? []).map((p) => `${RUN_TRAILER}: ${p}`),
    ...(trailers.eventPaths ?? []).map((p) => `${EVENT_TRAILER}: ${p}`),
    ...(trailers.seal !== undefined ? [`${SEAL_TRAILER}: ${trailers.seal}`] : []),
    ...(trailers.open !== undefined ? [`${OPEN_TRAILER}: ${trailers.open}`] : []),
  ];
  return `${summary.replace(/\n/g, ' ')}\n\n${lines.join('\n')}\n`;
}

function values(message: string, key: string): string[] {
  const out: string[] = [];
  for (const line of message.split('\n')) {
    if (line.startsWith(`${key}: `)) out.push(line.slice(key.length + 2).trim());
  }
  return out;
}

export function parseEntryTrailers(message: string): EntryTrailers {
  return {
    runPaths: values(message, RUN_TRAILER),
    eventPaths: values(message, EVENT_TRAILER),
    seal: values(message, SEAL_TRAILER)[0],
    open: openCount(values(message, OPEN_TRAILER)[0]),
  };
}

function openCount(value: string | undefined): number | undefined {
  return value !== undefined && /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

/** The message of a commit object's raw text (after the header's blank line). */
export function commitMessage(raw: Buffer): string {
  const text = raw.toString('utf8');
  const blank = text.indexOf('\n\n');
  return blank < 0 ? '' : text.slice(blank + 2);
}
