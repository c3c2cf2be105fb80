/**
 * Terminal building blocks: ANSI styles applied only when colour is on, and columns aligned
 * by display width so wide characters and colour codes never break the alignment.
 */
import { displayWidth, stripControlCharacters, truncateText } from './plain-text.js';

export const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
};
export type AnsiStyle = keyof typeof ANSI;

export type Paint = (text: string, style: AnsiStyle | undefined) => string;

export function painter(color: boolean): Paint {
  return (text, style) => (color && style ? `${ANSI[style]}${text}${ANSI.reset}` : text);
}

/** Cleans and caps an untrusted string for the terminal. */
export function cleanForTerminal(text: string, max = 80): string {
  return truncateText(stripControlCharacters(text), max);
}

/**
 * Aligns rows into columns two spaces apart; `right` marks right-aligned columns. `styles`
 * colours whole rows after padding so colour codes never affect the alignment.
 */
export function columns(
  rows: string[][],
  right: boolean[],
  paint: Paint,
  styles: Array<AnsiStyle | undefined> = [],
  indent = '  ',
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows.map((row, r) => {
    const cells = row.map((cell, i) => {
      const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(cell));
      if (i === row.length - 1 && !right[i]) return cell;
      return right[i] ? pad + cell : cell + pad;
    });
    return indent + paint(cells.join('  '), styles[r]);
  });
}
