/**
 * The small process between `ghml run`'s recorder and a stage's shell commands. It starts each
 * command with `/bin/sh -c` in a process group of its own (DVC stages are shell commands),
 * forwards SIGINT/SIGTERM/SIGHUP to the whole group so pipes and children stop too, writes
 * each group id to a file so ghml can SIGKILL what is left after an interrupt, and, when the
 * commands succeed, hard-links the stage's outputs into GHML_ARTIFACTS_DIR so the run records
 * them (path, sha256, size) like any artifact and counts them in the `ghml.pipeline.out_files`
 * tag. It runs as `node -e <source>`: no file to ship, nothing passed through a shell but the
 * stage's own commands. The source is a function serialised with toString(), so it is
 * type-checked here and must use nothing from outside its body but `req`.
 */

/** What the launcher is told (one JSON argument). */
export interface LaunchSpec {
  /** Commands run one after another; the first failure stops the rest. */
  cmds: string[];
  /** Absolute working folder of the stage. */
  cwd: string;
  /** Outputs to record as artifacts: absolute path and the artifact path (project-relative). */
  outs: Array<{ full: string; name: string }>;
  /** File the launcher appends each process group id to. */
  pidFile: string;
}

/** Tag counting the output files the launcher linked into the run's artifacts. */
export const OUT_FILES_TAG = 'ghml.pipeline.out_files';

type Require = (id: string) => unknown;

/* c8 ignore start -- runs in the child process */
function launcher(req: Require): void {
  const { spawn } = req('node:child_process') as typeof import('node:child_process');
  const fs = req('node:fs') as typeof import('node:fs');
  const path = req('node:path') as typeof import('node:path');
  const spec = JSON.parse(process.argv[1] ?? '{}') as LaunchSpec;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let group: number | undefined;
  let stopping: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    stopping ??= signal;
    if (group === undefined) return;
    try {
      process.kill(-group, signal);
    } catch {
      // the group is gone
    }
  };
  for (const signal of signals) process.on(signal, forward);

  const runOne = (cmd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
    new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', cmd], {
        cwd: spec.cwd,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      if (child.pid !== undefined) {
        group = child.pid;
        fs.appendFileSync(spec.pidFile, `${child.pid}\n`);
        if (stopping) forward(stopping);
      }
      child.once('error', () => resolve({ code: 127, signal: null }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });

  const linkOutputs = (): void => {
    const dir = process.env['GHML_ARTIFACTS_DIR'];
    const events = process.env['GHML_EVENTS'];
    if (!dir || !events) return;
    let count = 0;
    const place = (source: string, name: string): void => {
      const dest = path.join(dir, ...name.split('/'));
      if (fs.existsSync(dest)) return;
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      try {
        fs.linkSync(source, dest);
      } catch {
        fs.copyFileSync(source, dest);
      }
      count += 1;
    };
    const walk = (full: string, name: string): void => {
      let stats;
      try {
        stats = fs.statSync(full);
      } catch {
        return;
      }
      if (stats.isFile()) place(full, name);
      else if (stats.isDirectory()) {
        for (const entry of fs.readdirSync(full).sort())
          walk(path.join(full, entry), `${name}/${entry}`);
      }
    };
    for (const out of spec.outs) walk(out.full, out.name);
    fs.appendFileSync(
      events,
      `${JSON.stringify({ type: 'tag', key: 'ghml.pipeline.out_files', value: String(count) })}\n`,
    );
  };

  void (async () => {
    let result: { code: number | null; signal: NodeJS.Signals | null } = { code: 0, signal: null };
    for (const cmd of spec.cmds) {
      if (stopping) break;
      result = await runOne(cmd);
      group = undefined;
      if (result.code !== 0 || result.signal !== null) break;
    }
    const signal = stopping ?? result.signal;
    if (signal) {
      // End the way the command did, so the recorder sees the signal.
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    if (result.code === 0) linkOutputs();
    process.exitCode = result.code ?? 1;
  })();
}
/* c8 ignore stop */

/** The argument vector that runs the launcher with `spec` under this Node. */
export function launcherCommand(spec: LaunchSpec): string[] {
  return [process.execPath, '-e', `(${launcher.toString()})(require)`, JSON.stringify(spec)];
}
