/**
 * What the CLI commands write to: stdout, stderr, and whether they are terminals. Commands
 * take a CliIo instead of touching process streams, so tests can capture output.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal and colour is allowed (NO_COLOR unset, not CI). */
  readonly color: boolean;
  /** True when stderr is an interactive terminal: progress may be shown. */
  readonly interactive: boolean;
}

export function processIo(): CliIo {
  const env = process.env;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: Boolean(process.stdout.isTTY) && !noColor && env.TERM !== 'dumb',
    interactive: Boolean(process.stderr.isTTY) && env.CI !== 'true',
  };
}
