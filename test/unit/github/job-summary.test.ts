import { describe, expect, it } from 'vitest';
import {
  capMarkdown,
  MAX_SUMMARY_BYTES,
  writeJobSummary,
  type SummarySink,
} from '../../../src/github/job-summary.js';

const section = (title: string, size: number): string => `## ${title}\n\n${'x'.repeat(size)}\n\n`;

function memorySink(existing = 0): SummarySink & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    currentBytes: async () => existing + written.reduce((n, w) => n + Buffer.byteLength(w), 0),
    append: async (markdown) => {
      written.push(markdown);
    },
  };
}

describe('capMarkdown', () => {
  it('keeps content that fits untouched', () => {
    const text = section('a', 10);
    expect(capMarkdown(text, 1000)).toEqual({ text, truncated: false });
  });

  it('cuts at the last section boundary that fits, with a note', () => {
    const text = section('one', 200) + section('two', 200) + section('three', 200);
    const { text: out, truncated } = capMarkdown(text, 600);
    expect(truncated).toBe(true);
    expect(out.startsWith(section('one', 200) + section('two', 200))).toBe(true);
    expect(out).not.toContain('## three');
    expect(out).toMatch(/> \*\*Note:\*\* the rest of this summary \(214 of 632 bytes\) was cut/);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(600);
  });

  it('ignores headings inside code fences', () => {
    const fenced = '## real\n\n```\n' + '## not a heading\n'.repeat(20) + '```\n\n';
    const text = fenced + section('next', 50);
    const { text: out } = capMarkdown(text, 300);
    expect(out.startsWith('## real\n\n')).toBe(true);
    expect(out).not.toContain('## not a heading');
  });

  it('falls back to a paragraph, then a line, then a character boundary', () => {
    const paragraphs = 'intro\n\n' + 'para '.repeat(30) + '\n\n' + 'more '.repeat(60) + '\n';
    expect(capMarkdown(paragraphs, 330).text).toMatch(/^intro\n\n(para ){29}para\n\n> \*\*Note/);
    const oneLine = '€'.repeat(500);
    const { text } = capMarkdown(oneLine, 400);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(400);
    expect(text.startsWith('€€€')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('returns nothing when not even the note fits', () => {
    expect(capMarkdown('x'.repeat(100), 10)).toEqual({ text: '', truncated: true });
  });
});

describe('writeJobSummary', () => {
  it('appends within the 1 MiB step limit, counting what the step already wrote', async () => {
    const sink = memorySink(MAX_SUMMARY_BYTES - 2000);
    const result = await writeJobSummary(section('a', 500) + section('b', 5000), { sink });
    expect(result.truncated).toBe(true);
    expect(sink.written).toHaveLength(1);
    expect(sink.written[0]).toContain('## a');
    expect(sink.written[0]).not.toContain('## b');
    expect(await sink.currentBytes()).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
  });

  it('writes nothing once the step summary is full', async () => {
    const sink = memorySink(MAX_SUMMARY_BYTES);
    expect(await writeJobSummary('## more\n', { sink })).toEqual({
      bytesWritten: 0,
      truncated: true,
    });
    expect(sink.written).toEqual([]);
  });
});
