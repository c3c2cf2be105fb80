import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown } from '../../../src/text/markdown-escape.js';

const ZWJ = '\u200D';

describe('escapeMarkdown', () => {
  it.each([
    ['plain_name', 'plain\\_name'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['``', '\\`\\`'],
    ['a|b', 'a\\|b'],
    ['line1\nline2\r\nline3', 'line1 line2 line3'],
    ['@someone', `@${ZWJ}someone`],
    ['<!-- hidden -->', '&lt;!-- hidden --&gt;'],
    ['[x](javascript:alert(1))', '\\[x\\](javascript:alert(1))'],
    ['*bold* ~~s~~ $x$', '\\*bold\\* \\~\\~s\\~\\~ \\$x\\$'],
    ['back\\slash', 'back\\\\slash'],
    ['# heading', '\\# heading'],
    ['- item', '\\- item'],
    ['+ item', '\\+ item'],
    ['=== setext', '\\=== setext'],
    ['1. first', '1\\. first'],
    ['-0.5', '-0.5'],
    ['0.1', '0.1'],
    ['---', '\\---'],
    ['#hashtag', '#hashtag'],
    ['a & b', 'a &amp; b'],
    ['fixes #123', 'fixes #123'],
    ['tab\there\u0000\u001b[31m', 'tab here\\[31m'],
    ['\u202Eevil', 'evil'],
  ])('escapes %j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('never lets an HTML comment, a tag or a row break through', () => {
    const nasty = '<!--|\n-->`@x`<img src=x onerror=alert(1)>';
    const out = escapeMarkdown(nasty);
    expect(out).not.toMatch(/<!--|-->|<|>|\n/u);
    expect(out).not.toMatch(/(?<!\\)\|/u);
  });

  it('caps long text with an ellipsis, counting code points', () => {
    expect(escapeMarkdown('x'.repeat(500))).toBe(`${'x'.repeat(199)}…`);
    expect(escapeMarkdown('abcdef', { maxLength: 4 })).toBe('abc…');
    // A surrogate pair is never split.
    expect(escapeMarkdown('😀'.repeat(10), { maxLength: 3 })).toBe('😀😀…');
  });
});

describe('escapeHtml', () => {
  it('uses entities, not backslashes', () => {
    expect(escapeHtml(`a_b <i>"x"</i> 'y' & @z`)).toBe(
      `a_b &lt;i&gt;&quot;x&quot;&lt;/i&gt; &#39;y&#39; &amp; @${ZWJ}z`,
    );
    expect(escapeHtml('</summary>\n</details>')).toBe('&lt;/summary&gt; &lt;/details&gt;');
  });
});
