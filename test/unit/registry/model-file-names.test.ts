import { describe, expect, it } from 'vitest';
import { assetName, isSafeFileName } from '../../../src/registry/releases/model-files.js';

describe('model file names', () => {
  it.each(['model.pkl', 'model-v2.onnx', 'weights_1+2.bin', 'a'])(
    '%s is safe to download',
    (name) => {
      expect(isSafeFileName(name)).toBe(true);
    },
  );

  it.each(['', '.', '..', '.npmrc', '.bashrc', '../x', 'a/b', 'a\\b', 'a b', 'x'.repeat(256)])(
    '%s is refused (a tampered tag message cannot write outside or a dotfile)',
    (name) => {
      expect(isSafeFileName(name)).toBe(false);
    },
  );

  it('sanitises asset names as GitHub does, never leaving a leading dot', () => {
    expect(assetName('models/.hidden model.pkl')).toBe('hidden.model.pkl');
    expect(isSafeFileName(assetName('dir/..weights'))).toBe(true);
  });
});
