/**
 * Runs `dist/action.js` the way the GitHub Actions runner runs a JavaScript action: a fresh
 * `node` process whose environment holds
 * - `INPUT_<NAME>` for every input given in `with:` and every input with a default in the
 *   action.yml (hyphens kept, upper case), defaults' `${{ }}` expressions evaluated;
 * - the `GITHUB_*` variables, with `GITHUB_EVENT_PATH` pointing at a webhook payload file and
 *   fresh `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_STEP_SUMMARY` files per step;
 * - for a post step, `STATE_<name>` for what the main step saved in `GITHUB_STATE`.
 * Outputs, state, summary and `::error`/`::warning` annotations are read back after the step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { tempDir } from '../../support/temp-repo.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ACTION_BUNDLE = join(ROOT, 'dist', 'action.js');

/** Fails early, and clearly, when the bundle was never built. */
export function assertBundleBuilt(): void {
  if (!existsSync(ACTION_BUNDLE))
    throw new Error(`${ACTION_BUNDLE} is missing: run \`npm run build\` first`);
}

/** One job on a runner: its temp folder, home, and counters for per-step files. */
export interface RunnerJob {
  dir: string;
  temp: string;
  home: string;
  steps: number;
}

export function createRunnerJob(): RunnerJob {
  const dir = tempDir('ghml-runner-');
  const job = { dir, temp: join(dir, '_temp'), home: join(dir, 'home'), steps: 0 };
  mkdirSync(job.temp, { recursive: true });
  mkdirSync(job.home, { recursive: true });
  return job;
}

/** The context of the workflow run the step belongs to. */
export interface WorkflowContext {
  eventName: string;
  payload: object;
  repository: string;
  apiUrl: string;
  token: string;
  sha: string;
  ref: string;
  /** The job's matrix (null outside a matrix). */
  matrix?: Record<string, unknown> | null;
  runId?: string;
  job?: string;
  workflow?: string;
}

export interface ActionStepOptions {
  job: RunnerJob;
  workspace: string;
  context: WorkflowContext;
  /** `with:` of the step. */
  inputs: Record<string, string>;
  /** action.yml supplying input defaults, relative to the repository root. */
  actionYml?: string;
  /** Post step: the state the main step saved. */
  postState?: Record<string, string>;
  /** Extra environment (the step's `env:`). */
  env?: Record<string, string>;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string | undefined;
  message: string;
}

export interface ActionStepResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  annotations: Annotation[];
}

/** Input defaults of an action.yml, with the expressions a runner would evaluate. */
export function inputDefaults(actionYml: string, context: WorkflowContext): Record<string, string> {
  const action = parseYaml(readFileSync(join(ROOT, actionYml), 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    if (input.default === undefined) continue;
    defaults[name] = evaluate(String(input.default), context);
  }
  return defaults;
}

function evaluate(text: string, context: WorkflowContext): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_match, expression: string) => {
    if (expression === 'github.token') return context.token;
    // The runner's toJSON pretty-prints with two spaces.
    if (expression === 'toJSON(matrix)') return JSON.stringify(context.matrix ?? null, null, 2);
    throw new Error(`the test runner cannot evaluate \${{ ${expression} }}`);
  });
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file (`name<<DELIM` heredocs, or `name=value`). */
export function parseFileCommands(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (!existsSync(path)) return values;
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i] ?? '');
      values[name] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

function unescapeCommand(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

export function parseAnnotations(stdout: string): Annotation[] {
  const annotations: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(line);
    if (!match) continue;
    const properties = Object.fromEntries(
      (match[2] ?? '')
        .trim()
        .split(',')
        .filter((p) => p.includes('='))
        .map((p) => [p.slice(0, p.indexOf('=')), unescapeCommand(p.slice(p.indexOf('=') + 1))]),
    ) as Record<string, string>;
    annotations.push({
      level: match[1] as Annotation['level'],
      title: properties['title'],
      message: unescapeCommand(match[3] ?? ''),
    });
  }
  return annotations;
}

/** The environment the runner gives an action step. */
export function runnerEnv(
  options: ActionStepOptions,
  files: { output: string; state: string; summary: string; event: string },
): NodeJS.ProcessEnv {
  const { context, job } = options;
  const [owner = ''] = context.repository.split('/');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: job.home,
    LANG: 'C.UTF-8',
    CI: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    PYTHONDONTWRITEBYTECODE: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: 'ghml',
    GITHUB_ACTOR: 'octocat',
    GITHUB_API_URL: context.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_GRAPHQL_URL: `${context.apiUrl}/graphql`,
    GITHUB_REPOSITORY: context.repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_EVENT_NAME: context.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: context.sha,
    GITHUB_REF: context.ref,
    GITHUB_REF_NAME: context.ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\//, ''),
    GITHUB_REF_TYPE: context.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: join(dirname(files.output), 'env'),
    GITHUB_PATH: join(dirname(files.output), 'path'),
    GITHUB_RUN_ID: context.runId ?? '1000',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: context.workflow ?? 'train',
    GITHUB_JOB: context.job ?? 'train',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: job.temp,
    ...options.env,
  };
  const payload = context.payload as {
    pull_request?: { head?: { ref?: string }; base?: { ref?: string } };
  };
  if (context.eventName.startsWith('pull_request')) {
    env.GITHUB_HEAD_REF = payload.pull_request?.head?.ref ?? '';
    env.GITHUB_BASE_REF = payload.pull_request?.base?.ref ?? '';
  }
  const inputs = {
    ...inputDefaults(options.actionYml ?? 'action.yml', context),
    ...options.inputs,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(options.postState ?? {})) env[`STATE_${name}`] = value;
  return env;
}

/** Starts the step; `result` resolves when the process has ended. */
export function startActionStep(options: ActionStepOptions): {
  child: ChildProcess;
  result: Promise<ActionStepResult>;
} {
  assertBundleBuilt();
  const step = ++options.job.steps;
  const dir = join(options.job.dir, `step-${step}`);
  mkdirSync(dir, { recursive: true });
  const files = {
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    summary: join(dir, 'summary.md'),
    event: join(options.job.dir, `event-${step}.json`),
  };
  for (const file of [files.output, files.state, files.summary]) writeFileSync(file, '');
  writeFileSync(files.event, JSON.stringify(options.context.payload, null, 2));
  const child = spawn(process.execPath, [ACTION_BUNDLE], {
    cwd: options.workspace,
    env: runnerEnv(options, files),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as the runner starts steps, so the tests can signal it alone.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<ActionStepResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => {
      resolvePromise({
        exitCode,
        signal,
        stdout,
        stderr,
        outputs: parseFileCommands(files.output),
        state: parseFileCommands(files.state),
        summary: readFileSync(files.summary, 'utf8'),
        annotations: parseAnnotations(stdout),
      });
    });
  });
  return { child, result };
}

export function runActionStep(options: ActionStepOptions): Promise<ActionStepResult> {
  return startActionStep(options).result;
}

/** A short description of a step for assertion messages. */
export function describeStep(result: ActionStepResult): string {
  return `exit ${result.exitCode} signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Writes `python` onto PATH like actions/setup-python, when only python3 exists. */
export function setupPython(job: RunnerJob): Record<string, string> {
  const bin = join(job.dir, 'python-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'python'), '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH ?? ''}` };
}

/** Every descendant of `pid`, from /proc (Linux), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && found.length < 10_000) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Kills a step and everything it started, as the runner does when it gives up on a cancel. */
export function killProcessTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const target of [pid, ...descendants(pid)]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}
