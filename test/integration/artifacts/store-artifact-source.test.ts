import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeArtifactSource } from '../../../src/artifacts/store-artifact-source.js';
import type { ArtifactSource } from '../../../src/tracking/run-artifact-download.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import {
  openTestStore,
  randomData,
  sha256,
  writeRunFile,
} from '../../support/oci-registry/store-fixture.js';

describe('the store as a source of run artifacts (runs get, model get)', () => {
  let registry: RunningRegistry;
  let work: string;
  beforeAll(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'ghml-source-'));
  });
  afterAll(async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('fetches a file whose path and sha256 the manifest lists, and says "not here" otherwise', async () => {
    const file = writeRunFile(join(work, 'run'), 'model/weights.bin', randomData(20_000));
    await openTestStore(registry.host).store.uploadRun('01J0000000000000000000SRCE', [file], {
      experiment: 'x',
    });
    const source = storeArtifactSource(openTestStore(registry.host).store);
    // It fits where `ghml runs get` takes its sources.
    const asTrackingSource: Pick<ArtifactSource, 'name'> = source;
    expect(asTrackingSource.name).toBe(`oci://${registry.host}/acme/ml`);

    const dest = join(work, 'out', 'weights.bin');
    expect(await source.tryFetch({ id: '01J0000000000000000000SRCE' }, file, dest)).toBe(true);
    expect(readFileSync(dest)).toEqual(file.data);

    const other = join(work, 'out', 'other.bin');
    expect(
      await source.tryFetch(
        { id: '01J0000000000000000000SRCE' },
        { path: file.path, sha256: sha256('else') },
        other,
      ),
    ).toBe(false);
    expect(await source.tryFetch({ id: '01J0000000000000000000NONE' }, file, other)).toBe(false);
    expect(existsSync(other)).toBe(false);
  });
});
