import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readParamsFile } from '../../../src/tracking/params-file.js';
import { SourceFileError } from '../../../src/tracking/ingest-errors.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

function write(name: string, content: string): string {
  const path = join(tempDir('ghml-params-'), name);
  writeFileSync(path, content);
  return path;
}

describe('readParamsFile', () => {
  it('flattens nested maps with dots and stringifies values as written', async () => {
    const path = write(
      'params.yaml',
      [
        'train:',
        '  lr: 0.01',
        '  decay: 1e-3',
        '  epochs: 10',
        '  warm: 10.0',
        '  shuffle: True',
        '  layers: [64, 32]',
        '  opt: {name: adam, betas: [0.9, 0.999]}',
        '  empty: {}',
        'seed: null',
        'name: "iris v2"',
        'tags: [a, b]',
        'anchor: &x 5',
        'copy: *x',
        '',
      ].join('\n'),
    );
    expect(await readParamsFile(path, 'params.yaml')).toEqual({
      params: {
        'train.lr': '0.01',
        'train.decay': '1e-3',
        'train.epochs': '10',
        'train.warm': '10.0',
        'train.shuffle': 'true',
        'train.layers': '[64,32]',
        'train.opt.name': 'adam',
        'train.opt.betas': '[0.9,0.999]',
        'train.empty': '{}',
        seed: 'null',
        name: 'iris v2',
        tags: '["a","b"]',
        anchor: '5',
        copy: '5',
      },
      warnings: [],
    });
  });

  it('reads JSON files too', async () => {
    const path = write('params.json', '{"model": {"depth": 3, "lr": 0.1}, "flag": false}');
    expect((await readParamsFile(path))?.params).toEqual({
      'model.depth': '3',
      'model.lr': '0.1',
      flag: 'false',
    });
  });

  it('names the file, line and column when the file is not YAML', async () => {
    const path = write('params.yaml', 'train:\n  lr: 0.01\n  bad: [1, 2\nseed: 1\n');
    const error = await readParamsFile(path, 'params.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceFileError);
    const e = error as SourceFileError;
    expect(e.message).toMatch(/^params\.yaml:4:1: /);
    expect([e.file, e.line, e.column]).toEqual(['params.yaml', 4, 1]);
    expect(e.hint).toContain('params.yaml');
  });

  it('rejects duplicate keys and a top level that is not a mapping', async () => {
    const dup = write('params.yaml', 'lr: 1\nlr: 2\n');
    await expect(readParamsFile(dup, 'params.yaml')).rejects.toThrow(
      /^params\.yaml:2:1: Map keys must be unique/,
    );
    const list = write('params.yaml', '- a\n- b\n');
    await expect(readParamsFile(list, 'params.yaml')).rejects.toThrow(
      'params.yaml:1:1: the top level must be a mapping of param names',
    );
  });

  it('skips a missing file silently and reads an empty one as no params', async () => {
    expect(await readParamsFile(join(tempDir(), 'params.yaml'))).toBeUndefined();
    expect(await readParamsFile(write('params.yaml', '# nothing\n'))).toEqual({
      params: {},
      warnings: [],
    });
  });

  it('warns about entries that break the rules and keeps the others', async () => {
    const path = write(
      'params.yaml',
      ['ok: 1', 'bad:key: 2', 'long: ' + 'x'.repeat(6001), 'a: {b: 1}', 'a.b: 2', ''].join('\n'),
    );
    const result = await readParamsFile(path, 'params.yaml');
    expect(result?.params).toEqual({ ok: '1', 'a.b': '1' });
    expect(result?.warnings).toEqual([
      {
        source: 'params.yaml',
        line: 2,
        message:
          "param name 'bad:key' may only contain letters, digits, '_', '-', '.', ' ' and '/'; skipped",
      },
      {
        source: 'params.yaml',
        line: 3,
        message: "param 'long' value is 6001 characters, over the 6000-character limit; skipped",
      },
      {
        source: 'params.yaml',
        line: 5,
        message:
          "param 'a.b' appears twice after flattening (e.g. 'a: {b: 1}' and 'a.b: 2'); the first is kept",
      },
    ]);
  });
});
