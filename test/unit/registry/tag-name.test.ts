import { describe, expect, it } from 'vitest';
import { TagName } from '../../../src/registry/tags/tag-name.js';
import { InvalidNameError } from '../../../src/registry/registry-errors.js';
import { assertModelName, assertStageName } from '../../../src/registry/tags/model-name.js';

describe('TagName.parse', () => {
  it.each([
    ['churn@v3.1.0', { event: 'register', model: 'churn', version: 'v3.1.0' }],
    ['churn#prod#3', { event: 'assign', model: 'churn', stage: 'prod', counter: 3 }],
    ['churn#prod!#4', { event: 'unassign', model: 'churn', stage: 'prod', counter: 4 }],
    ['churn@v3.1.0!', { event: 'deregister', model: 'churn', version: 'v3.1.0' }],
    ['churn@deprecated', { event: 'deprecate', model: 'churn' }],
    ['models=mymodel@v0.0.1', { event: 'register', model: 'models:mymodel', version: 'v0.0.1' }],
    ['models/churn@v1.0.0', { event: 'register', model: 'models/churn', version: 'v1.0.0' }],
    ['a/b=c/d#prod#1', { event: 'assign', model: 'a/b:c/d', stage: 'prod', counter: 1 }],
    ['churn@v1.2.3#5', { event: 'register', model: 'churn', version: 'v1.2.3', counter: 5 }],
    ['churn@v1.2.3!#2', { event: 'deregister', model: 'churn', version: 'v1.2.3', counter: 2 }],
    ['churn@deprecated#7', { event: 'deprecate', model: 'churn', counter: 7 }],
    ['churn#prod', { event: 'assign', model: 'churn', stage: 'prod' }],
    ['churn#prod!', { event: 'unassign', model: 'churn', stage: 'prod' }],
    [
      'churn@v1.0.0-rc.1+build.5',
      { event: 'register', model: 'churn', version: 'v1.0.0-rc.1+build.5' },
    ],
    ['My_Model-2@v10.20.30', { event: 'register', model: 'My_Model-2', version: 'v10.20.30' }],
    ['x#a/b#1', { event: 'assign', model: 'x', stage: 'a/b', counter: 1 }],
  ])('parses %s and gives it back exactly', (text, fields) => {
    const tag = TagName.parse(text);
    expect(tag).toBeDefined();
    expect(tag?.toString()).toBe(text);
    expect(tag?.ref).toBe(`refs/tags/${text}`);
    expect({
      event: tag?.event,
      model: tag?.model,
      ...(tag?.version !== undefined ? { version: tag.version } : {}),
      ...(tag?.stage !== undefined ? { stage: tag.stage } : {}),
      ...(tag?.counter !== undefined ? { counter: tag.counter } : {}),
    }).toEqual(fields);
  });

  it.each([
    'v1.0.0',
    'release-1',
    'churn',
    'churn@1.2.3',
    'churn@v1.2',
    'churn@v01.2.3',
    'churn@latest',
    'churn@created',
    'a#b#c@v1.0.0',
    'churn#prod#x',
    'churn#prod#',
    '-churn@v1.0.0',
    'churn-@v1.0.0',
    'ch urn@v1.0.0',
    'a..b@v1.0.0',
    'a//b@v1.0.0',
    '.x=churn@v1.0.0',
    'x.lock/y=churn@v1.0.0',
    'a=b=c@v1.0.0',
    'churn@v1.0.0!!',
    `${'a'.repeat(300)}@v1.0.0`,
  ])('does not parse %s', (text) => {
    expect(TagName.parse(text)).toBeUndefined();
  });
});

describe('TagName factories', () => {
  it('build every form and round-trip through parse', () => {
    const tags = [
      TagName.register('churn', 'v1.2.0'),
      TagName.deregister('churn', 'v1.2.0'),
      TagName.assign('churn', 'prod', 3),
      TagName.unassign('churn', 'prod', 4),
      TagName.deprecate('churn'),
      TagName.deprecate('churn', 9),
      TagName.register('models:mymodel', 'v0.0.1'),
      TagName.register('models/churn', 'v0.0.1'),
    ];
    expect(tags.map(String)).toEqual([
      'churn@v1.2.0',
      'churn@v1.2.0!',
      'churn#prod#3',
      'churn#prod!#4',
      'churn@deprecated',
      'churn@deprecated#9',
      'models=mymodel@v0.0.1',
      'models/churn@v0.0.1',
    ]);
    for (const tag of tags) {
      const back = TagName.parse(tag.toString());
      expect(back?.toString()).toBe(tag.toString());
      expect(back?.event).toBe(tag.event);
      expect(back?.model).toBe(tag.model);
      expect(back?.version).toBe(tag.version);
      expect(back?.stage).toBe(tag.stage);
      expect(back?.counter).toBe(tag.counter);
    }
  });

  it('refuses a bad model name with the exact message', () => {
    expect(() => TagName.register('a#b', 'v1.0.0')).toThrow(new InvalidNameError('model', 'a#b'));
    expect(() => assertModelName('a#b')).toThrow(
      "Invalid model name 'a#b': use letters, digits, '-', '_' or '/'.",
    );
  });

  it.each([
    'a#b',
    'my model',
    '-churn',
    'churn-',
    'a..b',
    'a.lock',
    'churn/',
    '/churn',
    '',
    'é',
    'a@b',
    'a:b:c',
  ])('refuses model name %j', (name) => {
    let error: unknown;
    try {
      TagName.register(name, 'v1.0.0');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidNameError);
    expect((error as InvalidNameError).kind).toBe('model');
    expect((error as InvalidNameError).message).toContain(`'${name}'`);
    expect((error as InvalidNameError).hint).toBeTruthy();
  });

  it('refuses names that match the grammar but break git ref rules', () => {
    expect(() => assertModelName('a//b')).toThrow("Invalid model name 'a//b': it contains '//'");
    expect(() => assertModelName('x.lock/y:churn')).toThrow("ends with '.lock'");
    expect(() => assertModelName('.hidden:churn')).toThrow("begins with '.'");
    expect(() => assertModelName('a..b:churn')).toThrow("contains '..'");
  });

  it.each(['v1.2', '1.2.3', 'v01.2.3', 'v1.2.3.4', 'V1.2.3', 'v1.2.3-', 'v1.2.3-01', 'latest'])(
    'refuses version %s',
    (version) => {
      expect(() => TagName.register('churn', version)).toThrow(
        `Invalid version name '${version}': use SemVer with a 'v' prefix, e.g. v1.2.3.`,
      );
    },
  );

  it('refuses stage names with / or other characters when writing', () => {
    expect(() => TagName.assign('churn', 'a/b', 1)).toThrow("Invalid stage name 'a/b'");
    expect(() => assertStageName('pr od')).toThrow(InvalidNameError);
    expect(() => assertStageName('prod!')).toThrow(InvalidNameError);
    expect(assertStageName('pre-prod_2')).toBe('pre-prod_2');
  });

  it('refuses a negative or fractional counter', () => {
    expect(() => TagName.assign('churn', 'prod', -1)).toThrow(InvalidNameError);
    expect(() => TagName.assign('churn', 'prod', 1.5)).toThrow(InvalidNameError);
  });
});
