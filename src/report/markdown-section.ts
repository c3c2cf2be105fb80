/**
 * A report is a list of sections: the units `buildCommentBody` keeps or cuts to stay within
 * GitHub's size limits. Each section is complete Markdown on its own (a table or a
 * `<details>` block never spans two sections).
 */

/**
 * What a section holds, which decides when it is cut (first to last):
 * `charts`, `all-params`, `detail`, `params`, then rows of `summary` / `leaderboard` tables;
 * `title` and `heading` (experiment name, verdict, baseline) are kept.
 */
export type SectionKind =
  'title' | 'heading' | 'summary' | 'leaderboard' | 'params' | 'all-params' | 'detail' | 'charts';

/** A table whose rows may be dropped, at row boundaries, to fit a size limit. */
export interface SectionTable {
  /** Markdown before the first row: any text, then the table's header and delimiter rows. */
  head: string;
  /** One line each, in display order. */
  rows: SectionRow[];
  /** Markdown after the last row (e.g. footnotes), '' when none. */
  tail: string;
  /** What a row is, for the note saying how many were cut: 'metrics', 'matrix keys', 'runs'. */
  rowNoun: string;
}

/** A table row; `important` rows (regressions) are kept first when rows are cut. */
export interface SectionRow {
  markdown: string;
  important: boolean;
}

/** One unit of a rendered report. */
export interface MarkdownSection {
  kind: SectionKind;
  /** The whole section as Markdown, without leading or trailing blank lines. */
  markdown: string;
  /** Set when rows of the section's table may be cut; `markdown` equals `renderSectionTable(table)`. */
  table?: SectionTable;
}

/** Joins sections with blank lines, ending with a newline. */
export function toMarkdown(sections: readonly MarkdownSection[]): string {
  const parts = sections.map((section) => section.markdown).filter((text) => text !== '');
  return parts.length === 0 ? '' : `${parts.join('\n\n')}\n`;
}

/**
 * Renders a section table with the given rows (default: all), followed by `note` (e.g.
 * "_12 more metrics not shown._") before the tail.
 */
export function renderSectionTable(
  table: SectionTable,
  rows: readonly SectionRow[] = table.rows,
  note = '',
): string {
  const lines = [table.head, ...rows.map((row) => row.markdown)].join('\n');
  const after = [note, table.tail].filter((text) => text !== '');
  return after.length === 0 ? lines : `${lines}\n\n${after.join('\n\n')}`;
}
