/**
 * The JSONL events file (`GHML_EVENTS`, spec in docs/event-format.md): one JSON object per
 * line, appended by the training command (ghml_log.py, `ghml log`, `echo >>`) and read once
 * when the command ends.
 *
 * Reading is streaming and forgiving: a malformed line becomes a warning with its line number
 * and every other event is kept; so is a truncated final line (a writer killed mid-write).
 * Appending writes whole lines with one write on an O_APPEND descriptor, so concurrent
 * writers never interleave inside a line.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { encodeNumber } from '../run-record.js';
import { parsePythonJson } from './python-json.js';
import { EventFileError, InvalidValueError, quote } from './ingest-errors.js';
import {
  describe,
  MAX_TIME_MS,
  validateKey,
  validateMetricValue,
  validateParamValue,
  validateStep,
  validateTagValue,
  validateTimestamp,
} from '../run-limits.js';
import { WarningList } from './ingest-warnings.js';

/** One metric point. Without `step` the builder uses the key's next step; without `timestamp`, the ingestion time. */
export interface MetricEvent {
  type: 'metric';
  key: string;
  value: number;
  step?: number;
  timestamp?: number;
}

/** Several metrics logged at once, sharing one step and timestamp. */
export interface MetricsEvent {
  type: 'metrics';
  values: Record<string, number>;
  step?: number;
  timestamp?: number;
}

export interface ParamEvent {
  type: 'param';
  key: string;
  value: string;
}

export interface TagEvent {
  type: 'tag';
  key: string;
  value: string;
}

/**
 * Many points in columns (what ghml_log.py writes when it flushes): entry i is the point
 * (keys[i], values[i], steps[i], timestamps[i]); a null step means "the key's next step".
 */
export interface MetricBatchEvent {
  type: 'metric_batch';
  keys: string[];
  values: number[];
  steps: Array<number | null>;
  timestamps: number[];
}

/** A file the writer already copied into GHML_ARTIFACTS_DIR; `path` is relative to it. */
export interface ArtifactEvent {
  type: 'artifact';
  path: string;
}

/** One line of the events file. */
export type LogEvent =
  MetricEvent | MetricsEvent | MetricBatchEvent | ParamEvent | TagEvent | ArtifactEvent;

/** A line that is not a valid event; `message` says why (without the line number). */
export class EventLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventLineError';
  }
}

/** Lines longer than this are skipped with a warning instead of being buffered. */
export const MAX_EVENT_LINE_BYTES = 16 * 1024 * 1024;

/** Formats one event as its line (with the trailing newline); `parseEventLine` reads it back. */
export function formatEvent(event: LogEvent): string {
  switch (event.type) {
    case 'metric':
      return `${JSON.stringify({
        type: 'metric',
        key: event.key,
        value: encodeNumber(event.value),
        ...(event.step === undefined ? {} : { step: event.step }),
        ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
      })}\n`;
    case 'metrics': {
      const values = Object.fromEntries(
        Object.entries(event.values).map(([key, value]) => [key, encodeNumber(value)]),
      );
      return `${JSON.stringify({
        type: 'metrics',
        values,
        ...(event.step === undefined ? {} : { step: event.step }),
        ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
      })}\n`;
    }
    case 'metric_batch':
      return `${JSON.stringify({
        type: 'metric_batch',
        keys: event.keys,
        values: event.values.map(encodeNumber),
        steps: event.steps,
        timestamps: event.timestamps,
      })}\n`;
    case 'param':
    case 'tag':
      return `${JSON.stringify({ type: event.type, key: event.key, value: event.value })}\n`;
    case 'artifact':
      return `${JSON.stringify({ type: 'artifact', path: event.path })}\n`;
  }
}

/**
 * Parses one line. Throws EventLineError for a line that is not a JSON object of a known type,
 * and InvalidValueError for a non-numeric metric (naming the key). In a `metrics` batch a bad
 * entry is reported through `onProblem` and skipped; the other entries are kept. Unknown
 * fields are ignored, so later versions can add some.
 */
export function parseEventLine(line: string, onProblem?: (message: string) => void): LogEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    const retried = parsePythonJson(line);
    if (retried === undefined) {
      throw new EventLineError(`not valid JSON (${(error as Error).message})`);
    }
    parsed = retried;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EventLineError('not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  switch (o.type) {
    case 'metric': {
      const key = stringField(o, 'key');
      const event: MetricEvent = { type: 'metric', key, value: validateMetricValue(key, o.value) };
      if (o.step !== undefined && o.step !== null) event.step = validateStep(key, o.step);
      if (o.timestamp !== undefined && o.timestamp !== null) {
        event.timestamp = validateTimestamp(key, o.timestamp);
      }
      return event;
    }
    case 'metrics': {
      const raw = o.values;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new EventLineError(`"values" must be an object of metric values`);
      }
      // Prototype-free: a "__proto__" entry stays an entry (refused by the key rule, with a
      // warning) instead of silently setting the prototype.
      const values: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const [key, value] of Object.entries(raw)) {
        try {
          values[key] = validateMetricValue(key, value);
        } catch (error) {
          if (!(error instanceof InvalidValueError) || onProblem === undefined) throw error;
          onProblem(error.message);
        }
      }
      const event: MetricsEvent = { type: 'metrics', values };
      if (o.step !== undefined && o.step !== null) event.step = validateStep('(batch)', o.step);
      if (o.timestamp !== undefined && o.timestamp !== null) {
        event.timestamp = validateTimestamp('(batch)', o.timestamp);
      }
      return event;
    }
    case 'metric_batch':
      return parseBatch(o, onProblem);
    case 'param':
    case 'tag': {
      const key = stringField(o, 'key');
      const value = o.value;
      // Writers in other languages may write 0.01 or true unquoted; MLflow stringifies too.
      if (typeof value === 'string') return { type: o.type, key, value };
      if (typeof value === 'number' || typeof value === 'boolean') {
        return { type: o.type, key, value: String(value) };
      }
      throw new EventLineError(
        `${o.type} ${quote(key)} value must be a string, got ${describe(value)}`,
      );
    }
    case 'artifact':
      return { type: 'artifact', path: stringField(o, 'path') };
    default:
      throw new EventLineError(
        o.type === undefined
          ? 'missing "type"'
          : `unknown type ${typeof o.type === 'string' ? quote(o.type) : describe(o.type)}` +
              ' (expected metric, metrics, metric_batch, param, tag or artifact)',
      );
  }
}

/**
 * Checks a batch's columns; NaN/±Infinity strings are decoded in place. A bad point is
 * reported through `onProblem` and dropped (without `onProblem` the first one throws).
 */
function parseBatch(
  o: Record<string, unknown>,
  onProblem: ((message: string) => void) | undefined,
): MetricBatchEvent {
  const { keys, values, steps, timestamps } = o;
  if (
    !Array.isArray(keys) ||
    !Array.isArray(values) ||
    !Array.isArray(steps) ||
    !Array.isArray(timestamps)
  ) {
    throw new EventLineError('"keys", "values", "steps" and "timestamps" must be lists');
  }
  const n = keys.length;
  if (values.length !== n || steps.length !== n || timestamps.length !== n) {
    throw new EventLineError('"keys", "values", "steps" and "timestamps" must have equal lengths');
  }
  let bad: Set<number> | undefined;
  for (let i = 0; i < n; i++) {
    const key: unknown = keys[i];
    const value: unknown = values[i];
    const step: unknown = steps[i];
    const timestamp: unknown = timestamps[i];
    try {
      if (typeof key !== 'string') throw new EventLineError(`entry ${i}: key must be a string`);
      if (typeof value !== 'number') values[i] = validateMetricValue(key, value);
      if (step !== null && !(typeof step === 'number' && Number.isSafeInteger(step))) {
        validateStep(key, step);
      }
      if (!(
        typeof timestamp === 'number' &&
        Number.isSafeInteger(timestamp) &&
        timestamp >= 0 &&
        timestamp <= MAX_TIME_MS
      )) {
        validateTimestamp(key, timestamp);
      }
    } catch (error) {
      if (onProblem === undefined) throw error;
      onProblem(`${(error as Error).message}`);
      (bad ??= new Set()).add(i);
    }
  }
  const event: MetricBatchEvent = {
    type: 'metric_batch',
    keys: keys as string[],
    values: values as number[],
    steps: steps as Array<number | null>,
    timestamps: timestamps as number[],
  };
  if (bad !== undefined) {
    const keep = (_: unknown, i: number): boolean => !bad.has(i);
    event.keys = event.keys.filter(keep);
    event.values = event.values.filter(keep);
    event.steps = event.steps.filter(keep);
    event.timestamps = event.timestamps.filter(keep);
  }
  return event;
}

function stringField(o: Record<string, unknown>, field: string): string {
  const value = o[field];
  if (typeof value !== 'string') {
    throw new EventLineError(
      value === undefined ? `missing "${field}"` : `"${field}" must be a string`,
    );
  }
  return value;
}

/** What reading an events file found. */
export interface EventFileSummary {
  /** False when the file does not exist (the command logged nothing). */
  found: boolean;
  /** Lines read, blank lines included. */
  lines: number;
  /** Events passed to `onEvent` without it throwing. */
  events: number;
  /** Lines or events skipped (each also added to the warnings). */
  skipped: number;
}

export interface ReadEventFileOptions {
  /** Name used in warnings; default: the path. */
  displayName?: string;
  maxLineBytes?: number;
  /** When set, lines without this (ASCII) text are passed over unparsed, e.g. 'param'. */
  mustContain?: string;
}

/**
 * Streams the events file and calls `onEvent` for every valid event, in file order. A line
 * that does not parse, or whose event `onEvent` rejects by throwing (a bad key, a changed
 * param), is skipped and added to `warnings` as `file:line: reason`; reading goes on.
 * A missing file is not an error. Throws EventFileError only when the file cannot be read.
 */
export async function readEventFile(
  path: string,
  onEvent: (event: LogEvent, line: number) => void,
  warnings: WarningList,
  options: ReadEventFileOptions = {},
): Promise<EventFileSummary> {
  const source = options.displayName ?? path;
  const maxLine = options.maxLineBytes ?? MAX_EVENT_LINE_BYTES;
  const summary: EventFileSummary = { found: true, lines: 0, events: 0, skipped: 0 };

  const handleLine = (buf: Buffer, start: number, end: number, final: boolean): void => {
    summary.lines += 1;
    const lineNo = summary.lines;
    if (end > start && buf[end - 1] === 13) end -= 1; // CRLF from Windows writers
    if (end - start > maxLine) {
      summary.skipped += 1;
      warnings.add({
        source,
        line: lineNo,
        message: `line is ${end - start} bytes, over the ${maxLine}-byte limit; skipped`,
      });
      return;
    }
    if (options.mustContain !== undefined) {
      if (buf.subarray(start, end).indexOf(options.mustContain, 0, 'latin1') === -1) return;
    }
    const text = buf.toString('utf8', start, end);
    if (buf[start] !== 0x7b && text.trim() === '') return; // 0x7b '{': skip the trim for events
    let event: LogEvent;
    try {
      event = parseEventLine(text, (message) =>
        warnings.add({ source, line: lineNo, message: `${message} Entry skipped.` }),
      );
    } catch (error) {
      summary.skipped += 1;
      const message =
        final && error instanceof EventLineError
          ? 'truncated final line (the writer stopped mid-write?); skipped'
          : `${(error as Error).message}${error instanceof EventLineError ? '; line skipped' : ' Line skipped.'}`;
      warnings.add({ source, line: lineNo, message });
      return;
    }
    try {
      onEvent(event, lineNo);
      summary.events += 1;
    } catch (error) {
      summary.skipped += 1;
      warnings.add({ source, line: lineNo, message: `${(error as Error).message} Event skipped.` });
    }
  };

  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let oversized = false; // the current line already passed maxLine: stop buffering it
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(10, pos);
        if (nl === -1) break;
        if (carryBytes > 0 || oversized) {
          const total = carryBytes + (nl - pos);
          if (oversized || total > maxLine) {
            handleLine(Buffer.alloc(0), 0, total, false);
          } else {
            carry.push(chunk.subarray(pos, nl));
            const joined = Buffer.concat(carry, total);
            handleLine(joined, 0, joined.length, false);
          }
          carry = [];
          carryBytes = 0;
          oversized = false;
        } else {
          handleLine(chunk, pos, nl, false);
        }
        pos = nl + 1;
      }
      if (pos < chunk.length) {
        const rest = chunk.length - pos;
        if (oversized || carryBytes + rest > maxLine) {
          oversized = true;
          carry = [];
        } else {
          // Copy: the stream may reuse nothing, but holding a small slice pins the whole chunk.
          carry.push(Buffer.from(chunk.subarray(pos)));
        }
        carryBytes += rest;
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { found: false, lines: 0, events: 0, skipped: 0 };
    throw new EventFileError(path, code ?? (error as Error).message, error);
  }
  if (carryBytes > 0 || oversized) {
    if (oversized) handleLine(Buffer.alloc(0), 0, carryBytes, true);
    else {
      const joined = Buffer.concat(carry, carryBytes);
      handleLine(joined, 0, joined.length, true);
    }
  }
  return summary;
}

/**
 * The value a param was first logged with in an events file so far, or undefined (also when
 * the file does not exist). Reads only the lines that can be param events.
 */
export async function loggedParam(path: string, key: string): Promise<string | undefined> {
  let value: string | undefined;
  await readEventFile(
    path,
    (event) => {
      if (value === undefined && event.type === 'param' && event.key === key) value = event.value;
    },
    new WarningList(0),
    { mustContain: 'param' },
  );
  return value;
}

/** Checks an event against MLflow's limits before it is written; throws the typed error. */
export function validateEvent(event: LogEvent): void {
  switch (event.type) {
    case 'metric':
      validateKey(event.key, 'metric key');
      validateMetricValue(event.key, event.value);
      if (event.step !== undefined) validateStep(event.key, event.step);
      if (event.timestamp !== undefined) validateTimestamp(event.key, event.timestamp);
      return;
    case 'metrics':
      for (const [key, value] of Object.entries(event.values)) {
        validateKey(key, 'metric key');
        validateMetricValue(key, value);
      }
      if (event.step !== undefined) validateStep('(batch)', event.step);
      if (event.timestamp !== undefined) validateTimestamp('(batch)', event.timestamp);
      return;
    case 'metric_batch':
      event.keys.forEach((key, i) => {
        validateKey(key, 'metric key');
        validateMetricValue(key, event.values[i]);
        const step = event.steps[i];
        if (step !== null && step !== undefined) validateStep(key, step);
        validateTimestamp(key, event.timestamps[i]);
      });
      return;
    case 'param':
      validateKey(event.key, 'param key');
      validateParamValue(event.key, event.value);
      return;
    case 'tag':
      validateKey(event.key, 'tag key');
      validateTagValue(event.key, event.value);
      return;
    case 'artifact':
      validateKey(event.path, 'artifact path');
      return;
  }
}

/**
 * Validates every event, then appends them all to `path` with one write of whole lines on an
 * O_APPEND descriptor (creating the file), so lines from concurrent writers never interleave.
 * Nothing is written when any event is invalid.
 */
export async function appendEvents(path: string, events: readonly LogEvent[]): Promise<void> {
  for (const event of events) validateEvent(event);
  if (events.length === 0) return;
  const data = Buffer.from(events.map(formatEvent).join(''), 'utf8');
  const handle = await open(path, 'a', 0o644);
  try {
    let offset = 0;
    // A regular file takes the whole buffer in one write; the loop only guards short writes.
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}
