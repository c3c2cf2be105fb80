/**
 * Progress bars for long transfers (`ghml model get`, uploads, fetches), drawn with
 * cli-progress on an interactive terminal only. In CI, in pipes and in tests every call is a
 * no-op, so logs stay clean and commands need no "if interactive" branches.
 */
import { formatBytes } from '../text/format-number.js';
import cliProgress from 'cli-progress';

/** One bar: advance it by a number of units, then stop it. */
export interface ProgressBar {
  advance(units: number): void;
  stop(): void;
}

/** Starts bars; `createProgress` returns a silent one off a terminal. */
export interface Progress {
  /** A bar for `label` that ends at `total` units (bytes unless the caller says otherwise). */
  start(label: string, total: number): ProgressBar;
}

export interface ProgressOptions {
  /** Draw only when true (CliIo.interactive: stderr is a TTY and not CI). */
  interactive: boolean;
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WritableStream;
  /** How values are shown (default bytes). */
  unit?: 'bytes' | 'items';
}

const SILENT_BAR: ProgressBar = { advance() {}, stop() {} };

/** A progress reporter: cli-progress bars on a terminal, silent elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  if (!options.interactive) return { start: () => SILENT_BAR };
  const stream = options.stream ?? process.stderr;
  const bytes = (options.unit ?? 'bytes') === 'bytes';
  return {
    start(label, total) {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          format: bytes
            ? `${label} [{bar}] {percentage}% {done}/{size}`
            : `${label} [{bar}] {percentage}% {value}/{total}`,
          hideCursor: true,
          clearOnComplete: false,
          // Redraw at most ~10 times a second however fast the data arrives.
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      let value = 0;
      bar.start(Math.max(total, 0), 0, sizes(0, total));
      let stopped = false;
      return {
        advance(units) {
          if (stopped) return;
          value += units;
          bar.update(value, sizes(value, total));
        },
        stop() {
          if (stopped) return;
          stopped = true;
          bar.stop();
        },
      };
    },
  };
}

function sizes(done: number, total: number): { done: string; size: string } {
  return { done: formatBytes(done), size: formatBytes(total) };
}
