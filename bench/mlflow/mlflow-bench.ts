/**
 * The MLflow endpoint under the MLflow client's workload: plain HTTP over ONE keep-alive
 * connection, JSON bodies, a bearer token, as the Python client sends them.
 *
 *   npx tsx bench/mlflow/mlflow-bench.ts [--calls 10000] [--batches 50] [--points 1000000]
 *
 * 1. `--calls` runs/log-metric calls on one run: time per call (client-observed, so loopback
 *    and parsing included: an upper bound of the server's time).
 * 2. `--batches` runs/log-batch calls of 1,000 metrics each: time per call.
 * 3. `--points` through log-batch (1,000 per call), then runs/update FINISHED, which answers
 *    once the run is committed to the tracking branch: end-to-end wall time.
 * Baselines in the same process: a bare node:http server that parses the JSON body and answers
 * `{}` (the floor of HTTP + JSON on this machine) for 1 and 2; for 3, the same points written
 * straight into an events file (what ghml_log.py produces) and recorded the way `ghml run`
 * records a run.
 */
import { createServer, Agent, request, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ulid } from 'ulid';
import { defaultConfig } from '../../src/config/config-defaults.js';
import { createGit } from '../../src/git/git.js';
import { startTrackingServer } from '../../src/mlflow/tracking-server.js';
import { formatEvent } from '../../src/tracking/ingest/event-file.js';
import { RunBuilder } from '../../src/tracking/ingest/run-builder.js';
import { ingestOpenRun, openRunFolder, type OpenRunSession } from '../../src/tracking/open-run.js';
import { recordRun } from '../../src/tracking/run-recorder.js';
import {
  BENCH_ENV,
  markdownTable,
  median,
  newBenchRepo,
  numberArg,
  removeBenchDirs,
} from '../support/run-history.js';

const calls = numberArg('calls', 10_000);
const batches = numberArg('batches', 50);
const totalPoints = numberArg('points', 1_000_000);
const TOKEN = 'bench-token-0123456789abcdef';

Object.assign(process.env, BENCH_ENV);

class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly url: URL) {}

  send(path: string, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async timed(path: string, body: string): Promise<number> {
    const start = performance.now();
    const status = await this.send(path, body);
    if (status !== 200) throw new Error(`${path} answered ${status}`);
    return performance.now() - start;
  }

  close(): void {
    this.agent.destroy();
  }
}

function bareServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function batchBody(runId: string, from: number, size: number): string {
  const metrics = new Array<string>(size);
  for (let i = 0; i < size; i++) {
    const n = from + i;
    metrics[i] =
      `{"key":"loss","value":${1 / (n + 1)},"timestamp":${1_700_000_000_000 + n},"step":${n}}`;
  }
  return `{"run_id":"${runId}","metrics":[${metrics.join(',')}]}`;
}

async function logMetricTimes(client: Client, runId: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(
      await client.timed(
        '/api/2.0/mlflow/runs/log-metric',
        `{"run_id":"${runId}","key":"acc","value":${Math.random()},"timestamp":${Date.now()},"step":${i}}`,
      ),
    );
  }
  return times;
}

async function logBatchTimes(
  client: Client,
  runId: string,
  n: number,
  offset: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++)
    times.push(
      await client.timed(
        '/api/2.0/mlflow/runs/log-batch',
        batchBody(runId, offset + i * 1000, 1000),
      ),
    );
  return times;
}

const p99 = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;
const ms = (v: number): string => `${v.toFixed(3)} ms`;

async function main(): Promise<void> {
  const repo = newBenchRepo();
  const git = await createGit(repo);
  const config = defaultConfig();
  const server = await startTrackingServer({
    git,
    config,
    cwd: repo,
    env: {},
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    push: false,
    log: () => undefined,
  });
  const client = new Client(new URL(server.url));
  const created = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${server.url}/api/2.0/mlflow/runs/create`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve((JSON.parse(text) as { run: { info: { run_id: string } } }).run.info.run_id),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ experiment_id: '0', start_time: Date.now() }));
  });

  const bare = await bareServer();
  const bareClient = new Client(
    new URL(`http://127.0.0.1:${(bare.address() as AddressInfo).port}`),
  );

  // Warm-up, then measure; the bare server gets the same requests.
  await logMetricTimes(client, created, 200);
  await logMetricTimes(bareClient, created, 200);
  const metricTimes = await logMetricTimes(client, created, calls);
  const bareMetric = await logMetricTimes(bareClient, created, calls);
  const batchTimes = await logBatchTimes(client, created, batches, 10_000_000);
  const bareBatch = await logBatchTimes(bareClient, created, batches, 0);
  await client.timed('/api/2.0/mlflow/runs/update', `{"run_id":"${created}","status":"FINISHED"}`);

  // 3. End to end: a fresh run, `totalPoints` points through log-batch, then FINISHED (committed).
  const e2eStart = performance.now();
  const e2eCpu = process.cpuUsage();
  const created2 = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${server.url}/api/2.0/mlflow/runs/create`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve((JSON.parse(text) as { run: { info: { run_id: string } } }).run.info.run_id),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ experiment_id: '0', start_time: Date.now() }));
  });
  for (let from = 0; from < totalPoints; from += 1000) {
    await client.timed(
      '/api/2.0/mlflow/runs/log-batch',
      batchBody(created2, from, Math.min(1000, totalPoints - from)),
    );
  }
  const logged = performance.now();
  await client.timed(
    '/api/2.0/mlflow/runs/update',
    `{"run_id":"${created2}","status":"FINISHED","end_time":${Date.now()}}`,
  );
  const e2e = performance.now() - e2eStart;
  const cpu = process.cpuUsage(e2eCpu);
  const e2eCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const commitPart = performance.now() - logged;

  // Baseline for 3: the same points as an events file, recorded as `ghml run` records a run.
  const baseStart = performance.now();
  const baseCpu = process.cpuUsage();
  const session: OpenRunSession = {
    id: ulid(),
    experiment: 'default',
    name: null,
    startTime: Date.now(),
    source: { commit: await git.headCommit(), branch: 'main', dirty: false },
    github: null,
    params: {},
    tags: {},
    cwd: repo,
    paramsFiles: [],
    metricsFiles: [],
  };
  const folder = openRunFolder(await git.gitDir(), session.id);
  await mkdir(join(folder, 'artifacts'), { recursive: true });
  const lines: string[] = [];
  for (let from = 0; from < totalPoints; from += 1000) {
    const size = Math.min(1000, totalPoints - from);
    const steps = Array.from({ length: size }, (_, i) => from + i);
    lines.push(
      formatEvent({
        type: 'metric_batch',
        keys: steps.map(() => 'loss'),
        values: steps.map((n) => 1 / (n + 1)),
        steps,
        timestamps: steps.map((n) => 1_700_000_000_000 + n),
      }),
    );
  }
  await writeFile(join(folder, 'events.jsonl'), lines.join(''));
  const ingested = await ingestOpenRun(session, folder, config, new RunBuilder(), {
    status: 'FINISHED',
    exitCode: 0,
    endTime: Date.now(),
  });
  await recordRun(git, config, folder, ingested, {
    push: false,
    log: () => undefined,
    exitStatus: 0,
  });
  const baseline = performance.now() - baseStart;
  const baseUsage = process.cpuUsage(baseCpu);
  const baseCpuSeconds = (baseUsage.user + baseUsage.system) / 1e6;

  client.close();
  bareClient.close();
  bare.close();
  await server.close();

  const m = median(metricTimes);
  const b = median(batchTimes);
  console.log(
    markdownTable(
      ['measure', 'ghml endpoint', 'baseline', 'ratio', 'target'],
      [
        [
          `log-metric, median of ${calls} calls`,
          ms(m),
          `${ms(median(bareMetric))} (bare node:http + JSON.parse)`,
          `${(m / median(bareMetric)).toFixed(2)}×`,
          '< 1 ms',
        ],
        [
          `log-metric, p99`,
          ms(p99(metricTimes)),
          ms(p99(bareMetric)),
          `${(p99(metricTimes) / p99(bareMetric)).toFixed(2)}×`,
          '',
        ],
        [
          `log-batch of 1,000 metrics, median of ${batches}`,
          ms(b),
          `${ms(median(bareBatch))} (bare node:http + JSON.parse)`,
          `${(b / median(bareBatch)).toFixed(2)}×`,
          '< 20 ms',
        ],
        [
          `${totalPoints.toLocaleString('en')} points through log-batch, through the commit`,
          `${(e2e / 1000).toFixed(2)} s (of which the commit ${(commitPart / 1000).toFixed(2)} s)`,
          `${(baseline / 1000).toFixed(2)} s (events file written directly, recorded as ghml run does)`,
          `${(e2e / baseline).toFixed(2)}×`,
          '< 10 s',
        ],
        [
          `… its CPU time in this process (client and server; git's own processes not counted)`,
          `${e2eCpuSeconds.toFixed(2)} s`,
          `${baseCpuSeconds.toFixed(2)} s`,
          `${(e2eCpuSeconds / baseCpuSeconds).toFixed(2)}×`,
          '',
        ],
      ],
    ),
  );
  removeBenchDirs();
}

await main();
