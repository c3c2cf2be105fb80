import { formatBytes } from '../../../src/text/format-number.js';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/cli/progress.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('createProgress', () => {
  it('writes nothing when not interactive (CI, pipes)', () => {
    const { stream, text } = capture();
    const bar = createProgress({ interactive: false, stream }).start('model.pkl', 100);
    bar.advance(50);
    bar.stop();
    bar.stop();
    expect(text()).toBe('');
  });

  it('draws through cli-progress on a terminal and stops once', () => {
    const { stream, text } = capture();
    Object.assign(stream, {
      isTTY: true,
      columns: 80,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    const bar = createProgress({ interactive: true, stream }).start('model.pkl', 2048);
    bar.advance(1024);
    bar.advance(1024);
    bar.stop();
    bar.advance(1);
    bar.stop();
    expect(text()).toContain('model.pkl');
    expect(text()).toContain('2.0 KiB/2.0 KiB');
  });
});

describe('formatBytes', () => {
  it('formats sizes', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});
