/**
 * Escaping for untrusted text (metric and param names, values, matrix keys) placed in
 * GitHub-flavoured Markdown: inline text, table cells and HTML blocks such as `<summary>`.
 * Nothing escaped here can start a tag, an HTML comment, a link, an image, emphasis, a code
 * span, math, a table cell boundary or a block (heading, list, quote), and @mentions are
 * broken with a zero-width joiner so nobody is pinged.
 */
import { stripControlCharacters, truncateText } from './plain-text.js';

/** Default cap for one table cell or inline value, in code points (before escaping). */
export const DEFAULT_CELL_LENGTH = 200;

const ZERO_WIDTH_JOINER = '\u200D';

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Options of `escapeMarkdown` and `escapeHtml`. */
export interface EscapeOptions {
  /** Cap in code points before escaping; default 200. */
  maxLength?: number;
}

/**
 * Escapes text for inline Markdown and for a table cell. Newlines become spaces, so a value
 * can never end a table row.
 */
export function escapeMarkdown(text: string, options: EscapeOptions = {}): string {
  const clean = truncateText(
    stripControlCharacters(text),
    options.maxLength ?? DEFAULT_CELL_LENGTH,
  );
  let escaped = clean.replace(/[&<>]|[\\`*_[\]|~$]/gu, (char) =>
    char in HTML_ENTITIES ? (HTML_ENTITIES[char] as string) : `\\${char}`,
  );
  // Block markers (heading, list, setext, thematic break) only count at the start of a line,
  // followed by a space, the end or more of the same; a cell or inline value may be one.
  escaped = escaped
    .replace(/^(\s*)([#+=-])(?=[\s#+=-]|$)/u, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/u, '$1\\$2');
  return neutraliseMentions(escaped);
}

/**
 * Escapes text for an HTML context where Markdown is not parsed (e.g. inside `<summary>`):
 * entities instead of backslashes.
 */
export function escapeHtml(text: string, options: EscapeOptions = {}): string {
  const clean = truncateText(
    stripControlCharacters(text),
    options.maxLength ?? DEFAULT_CELL_LENGTH,
  );
  return neutraliseMentions(clean.replace(/[&<>"']/gu, (char) => HTML_ENTITIES[char] as string));
}

/** `@someone` → `@` + zero-width joiner + `someone`: shown the same, but pings no one. */
export function neutraliseMentions(text: string): string {
  return text.replace(/@/gu, `@${ZERO_WIDTH_JOINER}`);
}
