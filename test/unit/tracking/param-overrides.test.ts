import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/ghml-error.js';
import { InvalidNameError } from '../../../src/tracking/ingest/ingest-errors.js';
import { parseParamOverride, planParamOverrides } from '../../../src/tracking/param-overrides.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

async function plan(name: string, text: string, overrides: string[]): Promise<string> {
  const cwd = tempDir('ghml-set-');
  writeFileSync(join(cwd, name), text);
  const plans = await planParamOverrides(cwd, [name], overrides.map(parseParamOverride));
  return plans.get(name)?.changed ?? '';
}

describe('parseParamOverride', () => {
  it('reads [file:]key=value', () => {
    expect(parseParamOverride('train.lr=0.01')).toEqual({ key: 'train.lr', value: '0.01' });
    expect(parseParamOverride('conf/p.yaml:lr=a=b')).toEqual({
      file: 'conf/p.yaml',
      key: 'lr',
      value: 'a=b',
    });
  });

  it('refuses text without a key or a bad key', () => {
    expect(() => parseParamOverride('lr')).toThrow(UsageError);
    expect(() => parseParamOverride('=1')).toThrow('--set-param expects [file:]key=value');
    expect(() => parseParamOverride('bad|key=1')).toThrow(InvalidNameError);
    expect(() => parseParamOverride('__proto__=1')).toThrow("Invalid param key '__proto__'");
  });
});

describe('planParamOverrides', () => {
  it('changes values in place in YAML, keeping comments and creating what is missing', async () => {
    const text = '# settings\ntrain:\n  lr: 0.1  # rate\n  depth: 3\nflat.key: 1\n';
    expect(await plan('params.yaml', text, ['train.lr=1e-3', 'flat.key=2', 'new.deep.x=abc'])).toBe(
      '# settings\ntrain:\n  lr: 1e-3 # rate\n  depth: 3\nflat.key: 2\nnew:\n  deep:\n    x: abc\n',
    );
  });

  it('rewrites a JSON file as JSON with its indent', async () => {
    const text = '{\n    "lr": 0.1,\n    "opt": {"name": "adam"}\n}\n';
    expect(await plan('params.json', text, ['opt.name=sgd', 'layers=[1, 2]'])).toBe(
      '{\n    "lr": 0.1,\n    "opt": {\n        "name": "sgd"\n    },\n    "layers": [\n        1,\n        2\n    ]\n}\n',
    );
  });

  it('refuses a key that leads through a value that is not a mapping', async () => {
    await expect(plan('params.yaml', 'train: 5\n', ['train.lr=1'])).rejects.toThrow(
      "cannot set param 'train.lr' in params.yaml",
    );
    await expect(plan('params.json', '{"train": 5}', ['train.lr=1'])).rejects.toThrow(
      "'train' is not an object",
    );
  });

  it('refuses a file that is not a params file of the run, or is missing', async () => {
    const cwd = tempDir('ghml-set-');
    await expect(
      planParamOverrides(cwd, ['params.yaml'], [parseParamOverride('x.yaml:lr=1')]),
    ).rejects.toThrow("'x.yaml' is not a params file of this run");
    await expect(
      planParamOverrides(cwd, ['params.yaml'], [parseParamOverride('lr=1')]),
    ).rejects.toThrow('params.yaml cannot be read (ENOENT)');
  });
});
