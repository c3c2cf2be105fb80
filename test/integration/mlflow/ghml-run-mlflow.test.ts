import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

/**
 * What the MLflow client does in the article's program, in stdlib Python: with MLFLOW_RUN_ID
 * set, `start_run()` resumes that run; params and metrics go to the tracking URI with the
 * bearer token. A nested run is a run of its own, linked by mlflow.parentRunId.
 */
const CLIENT = `
import json, os, urllib.request
uri = os.environ["MLFLOW_TRACKING_URI"]
token = os.environ["MLFLOW_TRACKING_TOKEN"]
run_id = os.environ["MLFLOW_RUN_ID"]
def call(path, body):
    req = urllib.request.Request(uri + "/api/2.0/mlflow/" + path, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token}, method="POST")
    return json.loads(urllib.request.urlopen(req).read() or b"{}")
call("runs/log-parameter", {"run_id": run_id, "key": "n_estimators", "value": "10"})
call("runs/log-metric", {"run_id": run_id, "key": "accuracy", "value": 0.93, "timestamp": 1700000000000, "step": 0})
child = call("runs/create", {"experiment_id": "0", "start_time": 1700000000000,
    "tags": [{"key": "mlflow.parentRunId", "value": run_id}]})["run"]["info"]["run_id"]
call("runs/log-metric", {"run_id": child, "key": "loss", "value": 0.5, "timestamp": 1700000000001, "step": 1})
call("runs/update", {"run_id": child, "status": "FINISHED", "end_time": 1700000000002})
try:
    req = urllib.request.Request(uri + "/api/2.0/mlflow/runs/log-metric", data=b"{}", method="POST")
    urllib.request.urlopen(req)
    print("UNAUTHENTICATED REQUEST ACCEPTED")
except urllib.error.HTTPError as e:
    print("refused without the token:", e.code)
print("child", child)
`;

interface RunJson {
  id: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, { value: number }>;
}

describe('ghml run serves MLflow to the command', () => {
  it('records what unchanged MLflow calls log, on the run itself and on nested runs', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'train.py'), CLIENT);
    const result = await runGhml(['run', '--no-push', '--json', '--', 'python3', 'train.py'], {
      cwd: repo,
      env: ghmlEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('refused without the token: 401');
    expect(result.stderr).not.toContain('UNAUTHENTICATED');
    expect(result.stderr).not.toMatch(/MLFLOW_TRACKING_TOKEN=|Bearer [0-9a-f]{16}/);
    const main = JSON.parse(result.stdout) as RunJson;
    expect(main.params).toMatchObject({ n_estimators: '10' });
    expect(main.metrics['accuracy']?.value).toBe(0.93);
    const child = /child ([0-9A-Z]{26})/.exec(result.stderr)?.[1] as string;
    const shown = await runGhml(['runs', 'show', child, '--json', '--no-fetch'], {
      cwd: repo,
      env: ghmlEnv(),
    });
    const nested = JSON.parse(shown.stdout) as RunJson;
    expect(nested.tags['mlflow.parentRunId']).toBe(main.id);
    expect(nested.metrics['loss']?.value).toBe(0.5);
  });

  it('serves nothing with --no-mlflow', async () => {
    const repo = makeRepo();
    const result = await runGhml(
      ['run', '--no-push', '--no-mlflow', '--', 'sh', '-c', 'test -z "$MLFLOW_TRACKING_URI"'],
      { cwd: repo, env: ghmlEnv() },
    );
    expect(result.code, result.stderr).toBe(0);
  });
});
