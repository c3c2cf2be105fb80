import { describe, expect, it } from 'vitest';
import {
  EXPERIMENT_NAME,
  MODEL_NAME,
  STAGE_NAME,
  branchNameProblem,
  relativePathProblem,
} from '../../../src/config/name-rules.js';

describe('branchNameProblem (git check-ref-format rules)', () => {
  it.each(['ghml/runs', 'main', 'feature/x-1', 'a.b', 'runs_2024', 'ünïcode', 'a@b', 'x/y/z'])(
    'accepts %j',
    (name) => {
      expect(branchNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ['', 'it is empty'],
    ['@', "it is the single character '@'"],
    ['HEAD', "'HEAD' is reserved"],
    ['-runs', "it starts with '-'"],
    ['a..b', "it contains '..'"],
    ['a b', 'it contains a space'],
    ['a\tb', 'it contains a control character'],
    ['a\x7fb', 'it contains a control character'],
    ['a~1', "it contains '~'"],
    ['a^', "it contains '^'"],
    ['a:b', "it contains ':'"],
    ['a?', "it contains '?'"],
    ['a*', "it contains '*'"],
    ['a[1]', "it contains '['"],
    ['a\\b', "it contains '\\'"],
    ['a@{1}', "it contains '@{'"],
    ['/runs', "it starts or ends with '/'"],
    ['runs/', "it starts or ends with '/'"],
    ['a//b', "it contains '//'"],
    ['runs.', "it ends with '.'"],
    ['ghml/.runs', "its part '.runs' starts with '.'"],
    ['.runs', "its part '.runs' starts with '.'"],
    ['runs.lock', "its part 'runs.lock' ends with '.lock'"],
    ['a.lock/b', "its part 'a.lock' ends with '.lock'"],
  ])('refuses %j: %s', (name, reason) => {
    expect(branchNameProblem(name)).toBe(reason);
  });
});

describe('name grammars', () => {
  it('experiments', () => {
    expect(
      ['iris', 'a', 'mnist-v2.1_b', 'A'.repeat(100)].every((n) => EXPERIMENT_NAME.test(n)),
    ).toBe(true);
    expect(
      ['', '.x', '-x', 'a/b', 'a b', 'A'.repeat(101), '..'].some((n) => EXPERIMENT_NAME.test(n)),
    ).toBe(false);
  });

  it('models and stages', () => {
    expect(MODEL_NAME.test('team/iris-v2')).toBe(true);
    expect(MODEL_NAME.test('iris-')).toBe(false);
    expect(MODEL_NAME.test('iris#prod')).toBe(false);
    expect(STAGE_NAME.test('prod_eu')).toBe(true);
    expect(STAGE_NAME.test('prod/eu')).toBe(false);
    expect(STAGE_NAME.test('p')).toBe(true);
  });
});

describe('relativePathProblem', () => {
  it.each(['params.yaml', 'conf/params.yaml', './k8s', 'a..b/c'])('accepts %j', (path) => {
    expect(relativePathProblem(path)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['/etc/passwd', 'it is absolute'],
    ['C:\\x', 'it is absolute'],
    ['../x', "it contains '..'"],
    ['a/../../x', "it contains '..'"],
    ['a\\..\\x', "it contains '..'"],
    ['a\nb', 'it contains a control character'],
  ])('refuses %j: %s', (path, reason) => {
    expect(relativePathProblem(path)).toBe(reason);
  });
});
