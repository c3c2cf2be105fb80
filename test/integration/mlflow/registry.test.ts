/**
 * MLflow's registry calls write the git tags `ghml model` and GTO read: register_model ->
 * `iris@vX.Y.Z`, aliases -> `iris#<alias>#N`, stage transitions -> stage assignments, and
 * reads (by version number, by alias, searches) answer from the tags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRegistry } from '../../../src/registry/registry-reader.js';
import { cleanupTempDirs, commitFile, git } from '../../support/temp-repo.js';
import { startServerFixture, type ServerFixture } from './fixtures/mlflow-repo.js';

afterAll(cleanupTempDirs);

async function ok(
  reply: Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }>,
) {
  const r = await reply;
  expect(r.status, r.text).toBe(200);
  return r.json as Record<string, unknown>;
}

interface Version {
  name: string;
  version: string;
  source: string;
  run_id: string;
  current_stage: string;
  aliases: string[];
  status: string;
}

describe('the model registry over git tags', () => {
  let fx: ServerFixture;
  const runs: string[] = [];

  /** A finished run holding a model folder, trained on the current HEAD. */
  async function trainedRun(tag: string): Promise<string> {
    const created = await ok(
      fx.client.post('runs/create', { experiment_id: '0', start_time: Date.now() }),
    );
    const id = (created.run as { info: { run_id: string } }).info.run_id;
    await ok(
      fx.client.post('runs/log-metric', {
        run_id: id,
        key: 'accuracy',
        value: 0.9,
        timestamp: 1,
        step: 0,
      }),
    );
    for (const file of ['MLmodel', 'model.pkl']) {
      await ok(
        fx.client.call(
          'PUT',
          `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/model/${file}`,
          { body: Buffer.from(`${tag} ${file}`) },
        ),
      );
    }
    await ok(fx.client.post('runs/update', { run_id: id, status: 'FINISHED' }));
    return id;
  }

  beforeAll(async () => {
    fx = await startServerFixture();
    runs.push(await trainedRun('a'));
    commitFile(fx.repo, 'train.py', 'print(2)\n');
    runs.push(await trainedRun('b'));
  });
  afterAll(() => fx.stop());

  it('registers versions as name@vX.Y.Z tags on the runs’ commits', async () => {
    await ok(fx.client.post('registered-models/create', { name: 'iris' }));
    const first = (
      await ok(
        fx.client.post('model-versions/create', {
          name: 'iris',
          source: `runs:/${runs[0]}/model`,
          run_id: runs[0],
        }),
      )
    ).model_version as Version;
    expect(first).toMatchObject({
      name: 'iris',
      version: '1',
      run_id: runs[0],
      status: 'READY',
      current_stage: 'None',
    });
    expect(first.source).toBe(`mlflow-artifacts:/0/${runs[0]}/artifacts/model`);
    const second = (
      await ok(
        fx.client.post('model-versions/create', { name: 'iris', source: `runs:/${runs[1]}/model` }),
      )
    ).model_version as Version;
    expect(second.version).toBe('2');
    expect(git(fx.repo, 'tag', '-l').split('\n')).toEqual(['iris@v0.0.1', 'iris@v0.0.2']);
    const run0 = await fx.store.findRun(runs[0] as string);
    expect(git(fx.repo, 'rev-list', '-n1', 'iris@v0.0.1')).toBe(run0.record.source.commit);
    const state = await readRegistry(fx.git);
    const v1 = state.models[0]?.versions.find((v) => v.version === 'v0.0.1');
    expect(v1?.registered.metadata).toMatchObject({
      runId: runs[0],
      experiment: 'default',
      artifacts: [
        { uri: `ghml-run:${runs[0]}/model/MLmodel`, size: 9 },
        { uri: `ghml-run:${runs[0]}/model/model.pkl`, size: 11 },
      ],
    });
    // The registration is recorded on the run too.
    const events = await fx.store.readRunEvents(run0);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({ kind: 'registry', action: 'register', tag: 'iris@v0.0.1' }),
    ]);
  });

  it('refuses what GTO refuses: a second version of the same commit, and bad names', async () => {
    const again = await fx.client.post('model-versions/create', {
      name: 'iris',
      source: `runs:/${runs[1]}/model`,
    });
    expect(again.status).toBe(400);
    expect(String(again.json?.message)).toMatch(/already holds iris v0.0.2/);
    const badName = await fx.client.post('model-versions/create', {
      name: 'iris#prod',
      source: `runs:/${runs[1]}/model`,
    });
    expect(badName.json?.error_code).toBe('INVALID_PARAMETER_VALUE');
    const noFiles = await fx.client.post('model-versions/create', {
      name: 'other',
      source: `runs:/${runs[1]}/nothing`,
    });
    expect(String(noFiles.json?.message)).toMatch(/no files under 'nothing'/);
    const exists = await fx.client.post('registered-models/create', { name: 'iris' });
    expect(exists.json?.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(git(fx.repo, 'tag', '-l').split('\n')).toEqual(['iris@v0.0.1', 'iris@v0.0.2']);
  });

  it('maps aliases to stage tags and reads them back', async () => {
    await ok(
      fx.client.post('registered-models/alias', { name: 'iris', alias: 'champion', version: '1' }),
    );
    expect(git(fx.repo, 'tag', '-l', 'iris#*')).toBe('iris#champion#1');
    const byAlias = (
      await ok(fx.client.get('registered-models/alias', { name: 'iris', alias: 'champion' }))
    ).model_version as Version;
    expect(byAlias).toMatchObject({ version: '1', aliases: ['champion'] });
    await ok(
      fx.client.post('registered-models/alias', { name: 'iris', alias: 'champion', version: '2' }),
    );
    expect(
      (
        (await ok(fx.client.get('registered-models/alias', { name: 'iris', alias: 'champion' })))
          .model_version as Version
      ).version,
    ).toBe('2');
    await ok(
      fx.client.call('DELETE', '/api/2.0/mlflow/registered-models/alias', {
        json: { name: 'iris', alias: 'champion' },
      }),
    );
    // Both holders are unassigned: a deleted MLflow alias does not fall back to version 1.
    expect(git(fx.repo, 'tag', '-l', 'iris#*').split('\n')).toEqual([
      'iris#champion!#3',
      'iris#champion!#4',
      'iris#champion#1',
      'iris#champion#2',
    ]);
    const gone = await fx.client.get('registered-models/alias', {
      name: 'iris',
      alias: 'champion',
    });
    expect(gone.status).toBe(404);
    const reserved = await fx.client.post('registered-models/alias', {
      name: 'iris',
      alias: 'latest',
      version: '1',
    });
    expect(reserved.json?.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('maps the deprecated stage transitions to stage assignments', async () => {
    const moved = (
      await ok(
        fx.client.post('model-versions/transition-stage', {
          name: 'iris',
          version: '1',
          stage: 'Production',
          archive_existing_versions: false,
        }),
      )
    ).model_version as Version;
    expect(moved.current_stage).toBe('Production');
    expect(git(fx.repo, 'tag', '-l', 'iris#production#*')).toBe('iris#production#5');
    const latest = await ok(
      fx.client.post('registered-models/get-latest-versions', {
        name: 'iris',
        stages: ['Production'],
      }),
    );
    expect((latest.model_versions as Version[]).map((v) => v.version)).toEqual(['1']);
    const none = (
      await ok(
        fx.client.post('model-versions/transition-stage', {
          name: 'iris',
          version: '1',
          stage: 'None',
        }),
      )
    ).model_version as Version;
    expect(none.current_stage).toBe('None');
    expect(git(fx.repo, 'tag', '-l', 'iris#production!#*')).toBe('iris#production!#6');
    const bad = await fx.client.post('model-versions/transition-stage', {
      name: 'iris',
      version: '1',
      stage: 'Canary',
    });
    expect(String(bad.json?.message)).toMatch(/must be one of None, Staging, Production, Archived/);
  });

  it('searches versions and models, and gives the download URI', async () => {
    const versions = await ok(fx.client.get('model-versions/search', { filter: "name='iris'" }));
    expect((versions.model_versions as Version[]).map((v) => v.version)).toEqual(['1', '2']);
    const byRun = await ok(
      fx.client.get('model-versions/search', { filter: `run_id='${runs[1]}'` }),
    );
    expect((byRun.model_versions as Version[]).map((v) => v.version)).toEqual(['2']);
    const models = await ok(
      fx.client.get('registered-models/search', { filter: "name LIKE 'ir%'" }),
    );
    expect((models.registered_models as Array<{ name: string }>).map((m) => m.name)).toEqual([
      'iris',
    ]);
    const uri = await ok(
      fx.client.get('model-versions/get-download-uri', { name: 'iris', version: '2' }),
    );
    expect(uri.artifact_uri).toBe(`mlflow-artifacts:/0/${runs[1]}/artifacts/model`);
    const missing = await fx.client.get('model-versions/get', { name: 'iris', version: '9' });
    expect(missing.json?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('deregisters a version for delete_model_version; its number stays taken', async () => {
    await ok(
      fx.client.call('DELETE', '/api/2.0/mlflow/model-versions/delete', {
        json: { name: 'iris', version: '2' },
      }),
    );
    expect(git(fx.repo, 'tag', '-l', 'iris@*').split('\n')).toEqual([
      'iris@v0.0.1',
      'iris@v0.0.2',
      'iris@v0.0.2!',
    ]);
    const gone = (await ok(fx.client.get('model-versions/get', { name: 'iris', version: '2' })))
      .model_version as Version;
    expect(gone.current_stage).toBe('Archived');
    expect(
      (
        (await ok(fx.client.get('model-versions/get', { name: 'iris', version: '1' })))
          .model_version as Version
      ).version,
    ).toBe('1');
  });
});
