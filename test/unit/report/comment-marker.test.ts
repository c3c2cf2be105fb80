import { describe, expect, it } from 'vitest';
import {
  formatCommentMarker,
  InvalidMarkerKindError,
  parseCommentMarker,
} from '../../../src/report/comment-marker.js';

describe('comment markers', () => {
  it('formats the documented shape', () => {
    expect(formatCommentMarker('compare', 'iris')).toBe('<!-- ghml:compare:iris -->');
    expect(formatCommentMarker('compare', 'seed=1,model=rf')).toBe(
      '<!-- ghml:compare:seed=1,model=rf -->',
    );
  });

  it.each([
    'iris',
    '',
    'a b',
    '-->',
    '--!>',
    '<!-- x -->',
    'a:b:c',
    '100%',
    '%41',
    'név/ü',
    '😀',
    '\n\t',
    'x'.repeat(3000),
  ])('round-trips the key %j and never lets it close the comment', (key) => {
    const marker = formatCommentMarker('compare', key);
    expect(parseCommentMarker(marker)).toEqual({ kind: 'compare', key });
    const inner = marker.slice('<!-- '.length, -' -->'.length);
    expect(inner).not.toMatch(/-->|--!>|<|>|\s/u);
    expect(parseCommentMarker(`${marker}\n## Report\n\nbody`)).toEqual({ kind: 'compare', key });
  });

  it('finds the marker inside a body', () => {
    expect(parseCommentMarker('intro\n<!-- ghml:model-card:iris -->\ntext')).toEqual({
      kind: 'model-card',
      key: 'iris',
    });
  });

  it.each([
    'no marker here',
    '<!-- ghml:Compare:x -->',
    '<!-- ghml:compare:a%4 -->',
    '<!-- ghml:compare:%41 -->',
    '<!-- ghml:compare:%e2%82%ac -->',
    '<!-- ghml:compare:%FF -->',
    '<!-- ghml:compare:a<b -->',
    '<!--ghml:compare:x-->',
  ])('rejects %j', (body) => {
    expect(parseCommentMarker(body)).toBeUndefined();
  });

  it.each(['', 'Compare', 'a:b', 'a b', 'x-->', '1abc'])('rejects the kind %j', (kind) => {
    expect(() => formatCommentMarker(kind, 'k')).toThrow(InvalidMarkerKindError);
    try {
      formatCommentMarker(kind, 'k');
    } catch (error) {
      expect((error as InvalidMarkerKindError).message).toContain(`'${kind}'`);
      expect((error as InvalidMarkerKindError).hint).toMatch(/lower-case/u);
    }
  });
});
