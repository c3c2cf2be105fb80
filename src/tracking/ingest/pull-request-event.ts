/**
 * The pull request a workflow runs for, from the event payload at GITHUB_EVENT_PATH. Only
 * `pull_request`-shaped payloads name one; every field is checked, since payload values come
 * from the PR.
 */
import { readFileSync } from 'node:fs';

export interface PullRequestEvent {
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string;
  headRef: string;
  /** True when the head repository is not the base repository. */
  fromFork: boolean;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** A full sha (SHA-1 or SHA-256), as payload values must be before ghml uses them. */
export const isSha = (value: unknown): value is string =>
  typeof value === 'string' && SHA.test(value);

/**
 * The webhook payload at GITHUB_EVENT_PATH; {} when unset, unreadable or not an object. The one
 * reader of the payload (the CLI and the action share it). @actions/github's `context` is not
 * used for this: it parses the file once at import from process.env (ghml's readers take the
 * environment they are given), throws on a malformed file, prints to stdout when the file is
 * missing (which would break `--json`), and loads Octokit on every command's start.
 */
export function readEventPayload(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

interface PayloadShape {
  pull_request?: {
    number?: unknown;
    base?: { sha?: unknown; ref?: unknown; repo?: { full_name?: unknown } };
    head?: { sha?: unknown; ref?: unknown; repo?: { full_name?: unknown } | null };
  };
}

export function parsePullRequestEvent(payload: unknown): PullRequestEvent | undefined {
  const pr = (payload as PayloadShape | null)?.pull_request;
  if (!pr || typeof pr.number !== 'number' || !Number.isInteger(pr.number) || pr.number <= 0)
    return undefined;
  const baseSha = pr.base?.sha;
  const headSha = pr.head?.sha;
  if (!isSha(baseSha) || !isSha(headSha)) return undefined;
  const baseRepo = pr.base?.repo?.full_name;
  const headRepo = pr.head?.repo?.full_name;
  return {
    number: pr.number,
    baseSha,
    headSha,
    baseRef: typeof pr.base?.ref === 'string' ? pr.base.ref : '',
    headRef: typeof pr.head?.ref === 'string' ? pr.head.ref : '',
    fromFork: typeof baseRepo === 'string' && baseRepo !== headRepo,
  };
}

/** Reads GITHUB_EVENT_PATH; undefined when unset, unreadable or not a PR event. */
export function readPullRequestEvent(env: NodeJS.ProcessEnv): PullRequestEvent | undefined {
  return parsePullRequestEvent(readEventPayload(env));
}
