/**
 * The `train` input as GitHub runs a `run:` step with `shell: bash`: the script is written to
 * a file and started as `bash --noprofile --norc -eo pipefail <file>`, so a failing line or
 * pipe fails the step. The script never passes through another shell or a command line.
 *
 * A small wrapper starts that bash in its own process group and passes SIGINT/SIGTERM/SIGHUP
 * to the whole group. Without it a cancelled job would not stop training: bash defers a
 * signal until its foreground command (the training) has exited.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A script on disk and the argument array that runs it. */
export interface TrainScript {
  command: string[];
  file: string;
  remove(): Promise<void>;
}

/** Bash's flags for a `run:` step (GitHub's `shell: bash`). */
export const BASH_STEP_ARGS = ['--noprofile', '--norc', '-eo', 'pipefail'] as const;

// `$1` is the script file; nothing from the user is ever pasted into this text.
const SIGNAL_WRAPPER = [
  'set -m',
  `bash ${BASH_STEP_ARGS.join(' ')} "$1" &`,
  'child=$!',
  // Job control only gives the child its own process group; its status notices are noise.
  'set +m',
  'for signal in INT TERM HUP; do trap "kill -$signal -- -$child 2>/dev/null" "$signal"; done',
  'status=0',
  // A trapped signal interrupts `wait`; wait again until the child has really ended.
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  'exit "$status"',
].join('\n');

export async function writeTrainScript(
  script: string,
  tempDir: string | undefined,
): Promise<TrainScript> {
  const folder = tempDir ?? tmpdir();
  await mkdir(folder, { recursive: true });
  const file = join(folder, `ghml-train-${randomBytes(8).toString('hex')}.sh`);
  await writeFile(file, script.endsWith('\n') ? script : `${script}\n`, { mode: 0o600 });
  return {
    command: ['bash', '--noprofile', '--norc', '-c', SIGNAL_WRAPPER, 'ghml-train', file],
    file,
    remove: () => rm(file, { force: true }),
  };
}
