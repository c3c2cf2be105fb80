/**
 * The bytes of the events the endpoint appends: exactly what `formatEvent` writes (the events
 * file format, docs/event-format.md), with a fast path for metric batches, which are most of
 * the volume: their keys pass the ASCII key rule and their numbers are ASCII, so the line is
 * built by joining columns and encoded as latin1 instead of going through JSON.stringify and
 * a UTF-8 encoder for every point.
 */
import {
  formatEvent,
  type LogEvent,
  type MetricBatchEvent,
} from '../../tracking/ingest/event-file.js';
import { encodeNumber } from '../../tracking/run-record.js';

function numberText(value: number): string {
  return Number.isFinite(value) ? String(value) : `"${String(encodeNumber(value))}"`;
}

/** The metric_batch line, byte for byte what formatEvent writes. */
export function metricBatchLine(event: MetricBatchEvent): string {
  const quoted = new Map<string, string>();
  const keys = new Array<string>(event.keys.length);
  for (let i = 0; i < event.keys.length; i++) {
    const key = event.keys[i] as string;
    let text = quoted.get(key);
    if (text === undefined) {
      text = JSON.stringify(key);
      quoted.set(key, text);
    }
    keys[i] = text;
  }
  const values = event.values.map(numberText);
  const steps = event.steps.map((s) => (s === null ? 'null' : String(s)));
  return `{"type":"metric_batch","keys":[${keys.join(',')}],"values":[${values.join(',')}],"steps":[${steps.join(',')}],"timestamps":[${event.timestamps.join(',')}]}\n`;
}

/** The bytes to append for `events`, in order. */
export function eventBytes(events: readonly LogEvent[]): Buffer {
  const parts = events.map((event) =>
    event.type === 'metric_batch'
      ? Buffer.from(metricBatchLine(event), 'latin1')
      : Buffer.from(formatEvent(event), 'utf8'),
  );
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
