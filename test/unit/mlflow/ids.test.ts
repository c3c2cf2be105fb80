import { describe, expect, it } from 'vitest';
import {
  checkArtifactPath,
  parseArtifactLocation,
  runArtifactUri,
} from '../../../src/mlflow/ids/artifact-location.js';
import {
  DEFAULT_EXPERIMENT_ID,
  ExperimentIds,
  derivedExperimentId,
  isExperimentIdShape,
} from '../../../src/mlflow/ids/experiment-id.js';
import { loggedModelId, parseLoggedModelId } from '../../../src/mlflow/ids/logged-model-id.js';

const MLFLOW_EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

describe('experiment ids', () => {
  it('derives the same 16-digit id from a name everywhere, passing MLflow’s rule', () => {
    expect(derivedExperimentId('iris')).toBe(derivedExperimentId('iris'));
    expect(derivedExperimentId('iris')).not.toBe(derivedExperimentId('iris2'));
    for (const name of ['iris', 'a', 'exp.v2', 'X'.repeat(100)]) {
      const id = derivedExperimentId(name);
      expect(id).toMatch(/^[1-9]\d{15}$/);
      expect(id).toMatch(MLFLOW_EXPERIMENT_ID);
      expect(Number.isSafeInteger(Number(id))).toBe(true);
    }
    // Pinned: ids must never change between versions of ghml, or clones would disagree.
    expect(derivedExperimentId('iris')).toBe('7602921838237379');
  });

  it('gives "0" to the default experiment and maps ids back to names it has seen', () => {
    const ids = new ExperimentIds('default');
    expect(ids.idOf('default')).toBe(DEFAULT_EXPERIMENT_ID);
    expect(ids.nameOf('0')).toBe('default');
    expect(ids.nameOf(derivedExperimentId('iris'))).toBeUndefined();
    ids.learn(['iris']);
    expect(ids.nameOf(derivedExperimentId('iris'))).toBe('iris');
    expect(isExperimentIdShape('0')).toBe(true);
    expect(isExperimentIdShape('../x')).toBe(false);
  });
});

describe('logged model ids', () => {
  it('name their run and round-trip', () => {
    const id = loggedModelId('01ARZ3NDEKTSV4RRFFQ69G5FAV', 2);
    expect(id).toBe('m-01arz3ndektsv4rrffq69g5fav-2');
    expect(parseLoggedModelId(id)).toEqual({ runId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', n: 2 });
    expect(parseLoggedModelId('m-481cb9f2df7744f5b4883351a555c0f9')).toBeUndefined();
    expect(parseLoggedModelId('m-01arz3ndektsv4rrffq69g5fav-0')).toBeUndefined();
  });
});

describe('artifact locations', () => {
  it('builds and parses the proxied layout', () => {
    expect(runArtifactUri('0', 'R1')).toBe('mlflow-artifacts:/0/R1/artifacts');
    expect(parseArtifactLocation('0/R1/artifacts/model/MLmodel')).toEqual({
      runId: 'R1',
      path: 'model/MLmodel',
    });
    expect(parseArtifactLocation('0/R1/artifacts')).toEqual({ runId: 'R1', path: '' });
    expect(parseArtifactLocation('0/models/m-1/artifacts/x')).toBeUndefined();
  });

  it("refuses '..', absolute, backslash and drive paths", () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'C:/x', 'a//b', './a', 'a\0b']) {
      expect(() => checkArtifactPath(bad), bad).toThrow(/Invalid path|Invalid artifact path/);
    }
    expect(checkArtifactPath('model/')).toBe('model');
    expect(checkArtifactPath('')).toBe('');
  });
});
