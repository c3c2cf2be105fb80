/**
 * Opt-in Katib-style metrics from the command's stdout (`tracking.stdoutMetrics: true`): every
 * `key=value` pair with a numeric value on a line becomes a metric point, e.g.
 * `epoch 3: loss=0.21 accuracy=0.93`. Values may be NaN/inf as Python prints them.
 *
 * Step: when the line also carries `step=N` (or else `epoch=N`) with an integer N, every pair
 * on the line gets step N and that pair is not recorded as a metric itself. Otherwise a point's
 * step is the key's occurrence index: the number of earlier lines that carried the key (0 for
 * its first line, 1 for its second, ...), lines with an explicit step included.
 * Timestamp: when the line was read.
 */
import { StringDecoder } from 'node:string_decoder';
import { keyProblem, parseNumberText } from '../run-limits.js';

/** Where parsed points go; RunBuilder satisfies it. */
export interface MetricSink {
  addMetric(key: string, value: number, step?: number, timestamp?: number): void;
}

/** Longest line kept; the rest of a longer line is dropped (and the line still parsed). */
export const MAX_STDOUT_LINE_CHARS = 64 * 1024;

/**
 * Splits a byte stream into lines: chunks may end mid-line or mid-character. Lines longer
 * than `maxLineChars` are cut there and the rest (up to the newline) is discarded, so one
 * endless line cannot grow memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private discarding = false;

  constructor(private readonly maxLineChars = MAX_STDOUT_LINE_CHARS) {}

  /** Returns the lines completed by `chunk` (without '\n' or '\r'). */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl === -1) break;
      this.take(text, pos, nl);
      lines.push(stripCr(this.partial));
      this.partial = '';
      this.discarding = false;
      pos = nl + 1;
    }
    this.take(text, pos, text.length);
    return lines;
  }

  /** Returns the last line when the stream did not end with a newline. */
  end(): string[] {
    this.take(this.decoder.end(), 0, undefined);
    const last = this.partial;
    this.partial = '';
    this.discarding = false;
    return last === '' ? [] : [stripCr(last)];
  }

  private take(text: string, from: number, to: number | undefined): void {
    if (this.discarding) return;
    const room = this.maxLineChars - this.partial.length;
    const end = to ?? text.length;
    if (end - from > room) {
      this.partial += text.slice(from, from + room);
      this.discarding = true;
    } else {
      this.partial += text.slice(from, end);
    }
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** One `key=value` pair found on a line. */
export interface StdoutPair {
  key: string;
  value: number;
}

// A key starts at the line start or after a separator; the value ends at a separator.
const PAIR =
  /(?:^|[\s,;([{|])([A-Za-z0-9_][A-Za-z0-9_.\-/]*)\s*=\s*([^\s,;)\]}|]+)(?=$|[\s,;)\]}|])/g;

/** Finds the numeric `key=value` pairs of one line, in order. Non-numeric values are ignored. */
export function parseMetricPairs(line: string): StdoutPair[] {
  if (!line.includes('=')) return [];
  const pairs: StdoutPair[] = [];
  for (const match of line.matchAll(PAIR)) {
    const key = match[1] as string;
    const value = parseNumberText(match[2] as string);
    if (value === undefined || keyProblem(key) !== undefined) continue;
    pairs.push({ key, value });
  }
  return pairs;
}

export interface StdoutMetricsOptions {
  /** Clock for timestamps; default Date.now. */
  now?: () => number;
  maxLineChars?: number;
}

/**
 * Feeds the command's stdout (chunks as they arrive) into a MetricSink. Call `write` for each
 * chunk and `end` when the stream closes. Points the sink rejects are counted, never thrown.
 */
export class StdoutMetricsParser {
  private readonly splitter: LineSplitter;
  private readonly occurrences = new Map<string, number>();
  private readonly now: () => number;
  /** Points recorded so far. */
  points = 0;
  /** Points the sink rejected (e.g. a key over 250 characters). */
  rejected = 0;

  constructor(
    private readonly sink: MetricSink,
    options: StdoutMetricsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.splitter = new LineSplitter(options.maxLineChars);
  }

  write(chunk: Buffer | string): void {
    for (const line of this.splitter.push(chunk)) this.line(line);
  }

  end(): void {
    for (const line of this.splitter.end()) this.line(line);
  }

  /** Parses one complete line. */
  line(text: string): void {
    const pairs = parseMetricPairs(text);
    if (pairs.length === 0) return;
    const stepPair =
      pairs.find((p) => p.key === 'step' && Number.isSafeInteger(p.value)) ??
      pairs.find((p) => p.key === 'epoch' && Number.isSafeInteger(p.value));
    const timestamp = this.now();
    for (const pair of pairs) {
      if (pair === stepPair) continue;
      const seen = this.occurrences.get(pair.key) ?? 0;
      this.occurrences.set(pair.key, seen + 1);
      try {
        this.sink.addMetric(pair.key, pair.value, stepPair?.value ?? seen, timestamp);
        this.points += 1;
      } catch {
        this.rejected += 1;
      }
    }
  }
}
