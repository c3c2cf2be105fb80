/**
 * The job summary (`GITHUB_STEP_SUMMARY`), written through `@actions/core`'s `core.summary`.
 * GitHub accepts at most 1 MiB per step, so content is cut at a section boundary (a Markdown
 * heading outside code fences) with a note saying so. The file sits behind {@link SummarySink}
 * so the capping is testable without Actions.
 */
import { stat } from 'node:fs/promises';
import * as core from '@actions/core';
import type { Env } from './token.js';

/** GitHub's limit for one step's summary. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;

/** Where a summary is appended. */
export interface SummarySink {
  /** Bytes this step has already written to its summary. */
  currentBytes(): Promise<number>;
  append(markdown: string): Promise<void>;
}

/** The Actions job summary, or undefined outside Actions (no `GITHUB_STEP_SUMMARY`). */
export function tryActionsSummarySink(env: Env): SummarySink | undefined {
  const path = env['GITHUB_STEP_SUMMARY'];
  if (path === undefined || path === '') return undefined;
  return {
    async currentBytes() {
      try {
        return (await stat(path)).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
    },
    async append(markdown) {
      // core.summary reads GITHUB_STEP_SUMMARY from process.env; keep them in agreement.
      process.env['GITHUB_STEP_SUMMARY'] = path;
      await core.summary.addRaw(markdown, true).write();
    },
  };
}

/** What {@link writeJobSummary} wrote. */
export interface JobSummaryResult {
  bytesWritten: number;
  truncated: boolean;
}

/** Appends `markdown` to the summary, cut so the step stays within `maxBytes` (1 MiB). */
export async function writeJobSummary(
  markdown: string,
  options: { sink: SummarySink; maxBytes?: number },
): Promise<JobSummaryResult> {
  const budget = (options.maxBytes ?? MAX_SUMMARY_BYTES) - (await options.sink.currentBytes());
  const capped = capMarkdown(markdown, Math.max(0, budget));
  if (capped.text !== '') await options.sink.append(capped.text);
  return { bytesWritten: Buffer.byteLength(capped.text), truncated: capped.truncated };
}

/**
 * `markdown` cut to at most `maxBytes` UTF-8 bytes, note included. The cut is at the last
 * heading that fits; failing that the last paragraph, then line, break outside code fences;
 * failing that anywhere between characters.
 */
export function capMarkdown(
  markdown: string,
  maxBytes: number,
): { text: string; truncated: boolean } {
  const total = Buffer.byteLength(markdown);
  if (total <= maxBytes) return { text: markdown, truncated: false };
  const noteBytes = Buffer.byteLength(truncationNote(total, total));
  const room = maxBytes - noteBytes;
  if (room <= 0) return { text: '', truncated: true };

  const best = { section: 0, paragraph: 0, line: 0 };
  let chars = 0;
  let bytes = 0;
  let fence: string | undefined;
  let previousBlank = false;
  for (const line of markdown.split(/(?<=\n)/)) {
    if (bytes > room) break;
    if (fence === undefined && chars > 0) {
      // A heading is also a paragraph and a line boundary; a paragraph is also a line one.
      best.line = chars;
      if (previousBlank || /^#{1,6}\s/.test(line)) best.paragraph = chars;
      if (/^#{1,6}\s/.test(line)) best.section = chars;
    }
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (opener !== undefined) {
      if (fence === undefined) fence = opener;
      else if (opener[0] === fence[0] && opener.length >= fence.length) fence = undefined;
    }
    previousBlank = line.trim() === '';
    chars += line.length;
    bytes += Buffer.byteLength(line);
  }
  let cut = best.section || best.paragraph || best.line;
  if (cut === 0) cut = hardCut(markdown, room);
  const kept = markdown.slice(0, cut).trimEnd();
  const omitted = total - Buffer.byteLength(kept);
  return { text: kept + truncationNote(omitted, total), truncated: true };
}

/** The longest prefix within `maxBytes`, not splitting a character. */
function hardCut(text: string, maxBytes: number): number {
  let bytes = 0;
  let index = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += char.length;
  }
  return index;
}

function truncationNote(omittedBytes: number, totalBytes: number): string {
  return (
    `\n\n> **Note:** the rest of this summary (${omittedBytes} of ${totalBytes} bytes) was cut ` +
    "to stay within GitHub's 1 MiB job summary limit.\n"
  );
}
