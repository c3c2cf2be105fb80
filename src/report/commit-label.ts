/**
 * How commits and refs appear in reports: a full or abbreviated sha becomes its first 7
 * hex digits; anything else (a ref name typed by a user) is kept, cleaned and capped.
 */
import { escapeMarkdown } from '../text/markdown-escape.js';
import { stripControlCharacters, truncateText } from '../text/plain-text.js';

const SHA = /^[0-9a-f]{7,64}$/iu;

/** Plain text: `abc1234` for a sha, the cleaned ref otherwise. */
export function shortCommit(commit: string): string {
  if (SHA.test(commit)) return commit.slice(0, 7).toLowerCase();
  return truncateText(stripControlCharacters(commit), 60);
}

/** Markdown: a sha as a code span (hex digits are safe in one), any other ref escaped. */
export function commitMarkdown(commit: string): string {
  if (SHA.test(commit)) return `\`${commit.slice(0, 7).toLowerCase()}\``;
  return escapeMarkdown(commit, { maxLength: 60 });
}
