/**
 * Opt-in Katib-style metrics from the command's stdout (`tracking.stdoutMetrics: true`), read
 * line by line. The grammar (the README and docs/event-format.md say the same):
 *
 * - A pair is `name=value` (spaces around `=` allowed). The name starts a line or follows a
 *   space or one of `,;([{|`; it starts with a letter or `_`, then letters, digits, `_ . - /`.
 *   The value ends at the end of the line, a space or one of `,;)]}|`.
 * - A pair is a metric when its value is a number written with a fraction or an exponent
 *   (`0.21`, `1.0`, `3.`, `2e-4`) or a NaN/infinity spelling (`nan`, `inf`, `-Infinity`).
 *   A whole number (`rc=2`, `batch=64`, `pid=4242`) is not, since shells and tools print
 *   those as counters and exit codes; it is a metric only when ghml.yml declares the name as
 *   a metric of the run's experiment. Other values (`name=resnet`, `time=12s`) are ignored.
 * - The step of every metric on a line is, in this order: the whole number N of a `step=N`
 *   pair; that of an `epoch=N` pair; or a line that begins (after spaces and an optional `[`
 *   or `(`) with `epoch N`, `step N` or `iter N`, in any case, followed by `:`, `/M`, a space,
 *   `]`, `)` or `,` (`epoch 3: loss=0.21`, `Epoch 3/10 loss=0.2`, `[step 5] acc=0.9`). The
 *   pair that gave the step is not a metric. Without one, a point's step is the key's
 *   occurrence index: the number of earlier lines that carried the key.
 * - Timestamp: when the line was read.
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
  /** Written as a whole number (`2`, `-64`): a metric only when its name is declared. */
  whole: boolean;
}

// A key starts at the line start or after a separator; the value ends at a separator.
const PAIR = /(?:^|[\s,;([{|])([A-Za-z_][A-Za-z0-9_.\-/]*)\s*=\s*([^\s,;)\]}|]+)(?=$|[\s,;)\]}|])/g;
const WHOLE = /^[+-]?\d+$/;
// `epoch 3:`, `Epoch 3/10`, `[step 5]`, `iter 7,` at the start of a line.
const STEP_PREFIX = /^\s*[[(]?\s*(?:epoch|step|iter)\s*(-?\d+)(?=\s*(?:$|[:/,\])]|\s))/i;

/** Finds the numeric `key=value` pairs of one line, in order. Non-numeric values are ignored. */
export function parseMetricPairs(line: string): StdoutPair[] {
  if (!line.includes('=')) return [];
  const pairs: StdoutPair[] = [];
  for (const match of line.matchAll(PAIR)) {
    const key = match[1] as string;
    const text = match[2] as string;
    const value = parseNumberText(text);
    if (value === undefined || keyProblem(key) !== undefined) continue;
    pairs.push({ key, value, whole: WHOLE.test(text) });
  }
  return pairs;
}

/** The step a line gives its metrics, and the pair that gave it (not a metric then). */
export function lineStep(
  line: string,
  pairs: readonly StdoutPair[],
): { step: number; pair?: StdoutPair } | undefined {
  const pair =
    pairs.find((p) => p.key === 'step' && p.whole && Number.isSafeInteger(p.value)) ??
    pairs.find((p) => p.key === 'epoch' && p.whole && Number.isSafeInteger(p.value));
  if (pair !== undefined) return { step: pair.value, pair };
  const prefix = STEP_PREFIX.exec(line);
  const step = prefix === null ? Number.NaN : Number(prefix[1]);
  return Number.isSafeInteger(step) ? { step } : undefined;
}

export interface StdoutMetricsOptions {
  /** Clock for timestamps; default Date.now. */
  now?: () => number;
  maxLineChars?: number;
  /** Names whose whole-number values are metrics too (the experiment's declared metrics). */
  integerKeys?: ReadonlySet<string>;
}

/**
 * Feeds the command's stdout (chunks as they arrive) into a MetricSink. Call `write` for each
 * chunk and `end` when the stream closes. Points the sink rejects are counted, never thrown.
 */
export class StdoutMetricsParser {
  private readonly splitter: LineSplitter;
  private readonly occurrences = new Map<string, number>();
  private readonly now: () => number;
  private readonly integerKeys: ReadonlySet<string>;
  /** Points recorded so far. */
  points = 0;
  /** Points the sink rejected (e.g. a key over 250 characters). */
  rejected = 0;

  constructor(
    private readonly sink: MetricSink,
    options: StdoutMetricsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.integerKeys = options.integerKeys ?? new Set();
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
    const step = lineStep(text, pairs);
    const timestamp = this.now();
    for (const pair of pairs) {
      if (pair === step?.pair) continue;
      if (pair.whole && !this.integerKeys.has(pair.key)) continue;
      const seen = this.occurrences.get(pair.key) ?? 0;
      this.occurrences.set(pair.key, seen + 1);
      try {
        this.sink.addMetric(pair.key, pair.value, step?.step ?? seen, timestamp);
        this.points += 1;
      } catch {
        this.rejected += 1;
      }
    }
  }
}
