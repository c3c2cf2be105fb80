/**
 * Builds a comment (or job summary) body from report sections within a size limit:
 * the sticky marker first, then the sections. When they do not fit, whole sections are cut
 * (charts, then full param lists, then per-key details, then changed-param tables), then
 * table rows at row boundaries (regressions kept first), and a note at the end says what was
 * cut and where to see everything. A table or `<details>` block is never cut inside.
 */
import { UsageError } from '../errors/ghml-error.js';
import { formatCommentMarker, parseCommentMarker, type CommentMarker } from './comment-marker.js';
import { formatCount, plural } from '../text/format-number.js';
import {
  renderSectionTable,
  type MarkdownSection,
  type SectionKind,
  type SectionRow,
} from './markdown-section.js';

/** GitHub's limit on an issue or PR comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65536;

/** Options of `buildCommentBody`. */
export interface CommentBodyOptions {
  /** Written first so the comment can be found again; omit it for a job summary. */
  marker?: CommentMarker | string;
  sections: readonly MarkdownSection[];
  /** Maximum body length in UTF-16 code units (never below GitHub's count). Default 65536. */
  maxLength?: number;
  /** Where to see everything, ending the cut note. */
  fullReportHint?: string;
}

const DEFAULT_HINT =
  'For the full report, see the job summary or run `ghml compare --all` locally.';

/** Whole-section cuts, first to last, with the words used in the note. */
const CUT_ORDER: ReadonlyArray<{ kind: SectionKind; noun: string }> = [
  { kind: 'charts', noun: 'chart section' },
  { kind: 'all-params', noun: 'full param list' },
  { kind: 'detail', noun: 'per-key detail section' },
  { kind: 'params', noun: 'changed-param table' },
];
const OTHER_NOUN = 'other section';
const KEPT_LAST: ReadonlySet<SectionKind> = new Set(['title', 'heading']);

interface Entry {
  section: MarkdownSection;
  markdown: string;
  kept: boolean;
}

/** Running length of `marker + sections` as `toMarkdown` joins them. */
class BodyLength {
  private sum = 0;
  private count = 0;

  constructor(private readonly prefix: number) {}

  add(length: number): void {
    this.sum += length;
    this.count += 1;
  }

  remove(length: number): void {
    this.sum -= length;
    this.count -= 1;
  }

  get total(): number {
    return this.prefix + (this.count === 0 ? 0 : this.sum + 2 * (this.count - 1) + 1);
  }
}

function markerText(marker: CommentMarker | string | undefined): string {
  if (marker === undefined) return '';
  if (typeof marker !== 'string') return formatCommentMarker(marker.kind, marker.key);
  const parsed = parseCommentMarker(marker);
  if (!parsed || formatCommentMarker(parsed.kind, parsed.key) !== marker) {
    throw new UsageError(`Not a ghml comment marker: '${marker.slice(0, 80)}'.`, {
      hint: 'build it with formatCommentMarker(kind, key)',
    });
  }
  return marker;
}

function rowNote(count: number, noun: string): string {
  return `_${formatCount(count)} more ${noun} not shown._`;
}

interface CutCounts {
  sections: Map<string, number>;
  tables: number;
}

function cutNote(counts: CutCounts, maxLength: number, hint: string): string {
  const parts = [...counts.sections]
    .filter(([, count]) => count > 0)
    .map(([noun, count]) => plural(count, noun));
  if (counts.tables > 0) parts.push(`rows of ${plural(counts.tables, 'table')}`);
  const list =
    parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return [
    '---',
    '',
    `✂️ **Shortened to fit the limit of ${formatCount(maxLength)} characters.** Left out: ${list}. ${hint}`,
  ].join('\n');
}

/** Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair. */
function hardCut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** The body: marker, sections, and a cut note when something was left out. */
export function buildCommentBody(options: CommentBodyOptions): string {
  const maxLength = Math.max(0, Math.floor(options.maxLength ?? GITHUB_COMMENT_LIMIT));
  const hint = options.fullReportHint ?? DEFAULT_HINT;
  const marker = markerText(options.marker);
  const prefix = marker === '' ? '' : `${marker}\n`;
  const entries: Entry[] = options.sections
    .filter((section) => section.markdown !== '')
    .map((section) => ({ section, markdown: section.markdown, kept: true }));
  const length = new BodyLength(prefix.length);
  for (const entry of entries) length.add(entry.markdown.length);

  const render = (counts: CutCounts | undefined): string => {
    const kept = entries.filter((entry) => entry.kept).map((entry) => entry.markdown);
    const content = kept.length === 0 ? '' : `${kept.join('\n\n')}\n`;
    if (!counts) return prefix + content;
    const note = cutNote(counts, maxLength, hint);
    return hardCut(`${prefix}${content}${content === '' ? '' : '\n'}${note}\n`, maxLength);
  };
  if (length.total <= maxLength) return render(undefined);

  // Reserve room for the longest note this cut could need.
  const worst: CutCounts = { sections: new Map(), tables: 0 };
  for (const { kind, noun } of CUT_ORDER) {
    worst.sections.set(noun, entries.filter((e) => e.section.kind === kind).length);
  }
  worst.sections.set(OTHER_NOUN, entries.length);
  worst.tables = entries.filter((e) => e.section.table).length;
  const budget = maxLength - (cutNote(worst, maxLength, hint).length + 2);

  const counts: CutCounts = { sections: new Map(), tables: 0 };
  const drop = (entry: Entry, noun: string): void => {
    entry.kept = false;
    length.remove(entry.markdown.length);
    counts.sections.set(noun, (counts.sections.get(noun) ?? 0) + 1);
  };

  for (const { kind, noun } of CUT_ORDER) {
    for (let i = entries.length - 1; i >= 0 && length.total > budget; i -= 1) {
      const entry = entries[i] as Entry;
      if (entry.kept && entry.section.kind === kind) drop(entry, noun);
    }
  }
  if (length.total > budget) trimTables(entries, length, budget, counts);
  for (const lastResort of [false, true]) {
    for (let i = entries.length - 1; i >= 0 && length.total > budget; i -= 1) {
      const entry = entries[i] as Entry;
      if (entry.kept && KEPT_LAST.has(entry.section.kind) === lastResort) drop(entry, OTHER_NOUN);
    }
  }
  return render(counts);
}

interface TableState {
  entry: Entry;
  chosen: Set<number>;
}

/**
 * Shrinks every table section to the rows that fit, choosing important rows of all tables
 * first (in document order), then the others, and stopping at the first row that does not fit.
 */
function trimTables(entries: Entry[], length: BodyLength, budget: number, counts: CutCounts): void {
  const states: TableState[] = [];
  for (const entry of entries) {
    const table = entry.section.table;
    if (!entry.kept || !table || table.rows.length === 0) continue;
    length.remove(entry.markdown.length);
    entry.markdown = renderSectionTable(table, [], rowNote(table.rows.length, table.rowNoun));
    length.add(entry.markdown.length);
    states.push({ entry, chosen: new Set() });
  }
  if (states.length === 0) return;

  const candidates: Array<{ state: TableState; index: number; row: SectionRow }> = [];
  for (const important of [true, false]) {
    for (const state of states) {
      const rows = state.entry.section.table?.rows ?? [];
      rows.forEach((row, index) => {
        if (row.important === important) candidates.push({ state, index, row });
      });
    }
  }
  let used = length.total;
  for (const { state, index, row } of candidates) {
    if (used + row.markdown.length + 1 > budget) break;
    used += row.markdown.length + 1;
    state.chosen.add(index);
  }

  for (const { entry, chosen } of states) {
    const table = entry.section.table;
    if (!table) continue;
    const all = chosen.size === table.rows.length;
    const rows = all
      ? table.rows
      : [true, false].flatMap((important) =>
          table.rows.filter((row, index) => chosen.has(index) && row.important === important),
        );
    const note = all ? '' : rowNote(table.rows.length - chosen.size, table.rowNoun);
    length.remove(entry.markdown.length);
    entry.markdown = renderSectionTable(table, rows, note);
    length.add(entry.markdown.length);
    if (!all) counts.tables += 1;
  }
}
