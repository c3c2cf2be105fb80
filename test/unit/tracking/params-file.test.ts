import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readParamsFile } from '../../../src/tracking/ingest/params-file.js';
import { SourceFileError } from '../../../src/tracking/ingest/ingest-errors.js';
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

describe('readParamsFile with alias bombs', () => {
  it('stops expanding nested aliases whose entries are all skipped, with a warning', async () => {
    // 10^8 leaves once expanded, every one with a key the key rule refuses.
    const lines = [
      'l0: &l0 {"bad:1": 1, "bad:2": 2, "bad:3": 3, "bad:4": 4, "bad:5": 5, "bad:6": 6, "bad:7": 7, "bad:8": 8, "bad:9": 9, "bad:10": 10}',
    ];
    for (let i = 1; i < 8; i++) {
      const refs = Array.from({ length: 10 }, (_, j) => `k${j}: *l${i - 1}`).join(', ');
      lines.push(`l${i}: &l${i} {${refs}}`);
    }
    const path = write('params.yaml', `${lines.join('\n')}\nok: 1\n`);
    const result = await readParamsFile(path, 'params.yaml');
    expect(result?.params).toEqual({});
    expect(result?.warnings.at(-1)?.message).toBe(
      'more than 100000 entries (aliases expand to too many); the rest were skipped',
    );
  });

  it('skips a list whose aliases expand too far, keeping the other params', async () => {
    const lines = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (let i = 1; i < 6; i++)
      lines.push(
        `${'bcdef'[i - 1]}: &${'bcdef'[i - 1]} [${Array(10)
          .fill(`*${'abcdef'[i - 1]}`)
          .join(', ')}]`,
      );
    lines.push('lr: 0.1');
    const path = write('params.yaml', `${lines.join('\n')}\n`);
    const result = await readParamsFile(path, 'params.yaml');
    expect(result?.params['lr']).toBe('0.1');
    expect(result?.params['f']).toBeUndefined();
    expect(result?.warnings.map((w) => w.message)).toContain(
      "param 'f' uses too many aliases (*name); skipped",
    );
  });
});

describe('readParamsFile with many keys', () => {
  it('reads 50,000 flat keys (linear, not quadratic), keeping 10,000 with a warning', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `p${i}: ${i}`);
    const path = join(tempDir('ghml-params-'), 'params.yaml');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const result = await readParamsFile(path, 'params.yaml');
    expect(Object.keys(result?.params ?? {})).toHaveLength(10_000);
    expect(result?.warnings.map((w) => w.message)).toEqual([
      'more than 10000 params; the first 10000 (in file order) were recorded, the rest skipped',
    ]);
  });
});
