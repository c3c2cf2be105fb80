/**
 * Plain-text clean-up shared by every renderer: untrusted strings lose their control
 * characters (terminal escapes, bidi overrides) and are capped in length.
 */

// C0 (except tab/newline, handled below), DEL, C1, bidi embeddings/overrides/isolates,
// zero-width no-break space and line/paragraph separators.
const CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\t]/gu;

// ANSI escape sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), and 2-byte ESC x.
const ANSI =
  // eslint-disable-next-line no-control-regex -- matching escape sequences is the point
  /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u009B[0-?]*[ -/]*[@-~]|\u001B[@-Z\\-_]/gu;

/**
 * Removes whole terminal escape sequences (colours, cursor moves, titles), then every other
 * control character, so text from another machine (a git hook's message) prints inert.
 */
export function stripTerminalEscapes(text: string): string {
  return stripControlCharacters(text.replace(ANSI, ''));
}

/** Removes control characters and turns line breaks and tabs into single spaces. */
export function stripControlCharacters(text: string): string {
  return text.replace(LINE_BREAK, ' ').replace(CONTROL, '');
}

/**
 * Caps `text` at `maxLength` code points, ending a cut string with '…'. Never splits a
 * surrogate pair.
 */
export function truncateText(text: string, maxLength: number): string {
  const limit = Math.max(1, Math.floor(maxLength));
  if (text.length <= limit) return text;
  const points = Array.from(text);
  if (points.length <= limit) return text;
  return `${points.slice(0, limit - 1).join('')}…`;
}

/** Length in code points, used for aligning terminal columns. */
export function displayWidth(text: string): number {
  return Array.from(text).length;
}
