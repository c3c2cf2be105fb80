/**
 * A complete deploy setup for integration tests: a real git repository with registered
 * versions of 'iris' and a run on the tracking branch, the API-server stand-in with a
 * kubeconfig, and a DeployService wired to the real kubectl (never a real cluster: KUBECONFIG
 * points at the stand-in and in-cluster variables are removed).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { loadConfigFor } from '../../../src/config/find-config.js';
import type { GhmlConfig } from '../../../src/config/config-types.js';
import { trackingEventSink } from '../../../src/deploy/deploy-event.js';
import { DeployService, type DeployDeps } from '../../../src/deploy/deploy-service.js';
import { skippedRecorder } from '../../../src/deploy/github-deployment.js';
import { createKubectl } from '../../../src/deploy/kube/kubectl-runner.js';
import { createGit, type Git } from '../../../src/git/git.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import type { TagArtifact } from '../../../src/registry/tags/tag-message.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import {
  standinEnv,
  startKubeApiServer,
  writeKubeconfig,
  type KubeApiServer,
  type KubeApiServerOptions,
} from '../../support/kube-apiserver/index.js';
import { commitFile, makeRepo, tempDir } from '../../support/temp-repo.js';

const nextId = monotonicFactory();

export const SHA_V1 = '1'.repeat(64);
export const SHA_V2 = '2'.repeat(64);

export interface DeployFixture {
  repo: string;
  git: Git;
  registry: RegistryService;
  store: TrackingStore;
  /** Run ids per version. */
  runs: Record<string, string>;
  api: KubeApiServer;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  logs: string[];
  config(): Promise<GhmlConfig>;
  service(overrides?: Partial<DeployDeps>): Promise<DeployService>;
  /** Registers `version` on a new commit, with a run on the tracking branch. */
  register(version: string, artifact?: Partial<TagArtifact> | null): Promise<void>;
  promote(version: string, stage: string): Promise<void>;
  writeConfig(yaml: string): void;
  close(): Promise<void>;
}

export async function deployFixture(options: KubeApiServerOptions = {}): Promise<DeployFixture> {
  const repo = makeRepo();
  const git = await createGit(repo);
  const registry = new RegistryService({ git });
  const store = openTrackingStore(git, {
    branch: 'ghml/runs',
    remote: 'origin',
    pushTimeoutMs: 10_000,
  });
  const api = await startKubeApiServer({ stepMs: 100, ...options });
  const kubeconfig = writeKubeconfig(join(tempDir('ghml-kube-'), 'kubeconfig'), {
    server: api.url,
    token: api.token,
  });
  const env = standinEnv(kubeconfig);
  const logs: string[] = [];
  const runs: Record<string, string> = {};

  const fixture: DeployFixture = {
    repo,
    git,
    registry,
    store,
    runs,
    api,
    kubeconfig,
    env,
    logs,
    config: () => loadConfigFor(repo, repo),
    async service(overrides = {}) {
      return new DeployService({
        config: await fixture.config(),
        repoRoot: repo,
        registry,
        kubectl: (target) =>
          createKubectl({ env, context: target.context, namespace: target.namespace }),
        recorder: () => skippedRecorder('GitHub deployment skipped: no GitHub in this test.'),
        events: trackingEventSink(store, { sync: false }),
        log: (message) => logs.push(message),
        pollMs: 100,
        holder: 'test-holder',
        ...overrides,
      });
    },
    async register(version, artifact = {}) {
      const commit = commitFile(repo, 'model-version.txt', `${version}\n`, `train ${version}`);
      const runId = nextId();
      runs[version] = runId;
      await store.writeRun({
        record: {
          format: 1,
          id: runId,
          experiment: 'iris',
          name: null,
          status: 'FINISHED',
          startTime: 1_700_000_000_000,
          endTime: 1_700_000_060_000,
          exitCode: 0,
          source: { commit, branch: 'main', dirty: false },
          github: null,
          params: {},
          tags: {},
          metrics: {},
          artifacts: [],
        },
        metricsJsonl: Buffer.from(formatMetricLines([])),
        artifacts: [],
      });
      const artifacts: TagArtifact[] =
        artifact === null
          ? []
          : [
              {
                uri: `https://github.example/acme/iris/releases/download/iris%40${version}/model.pkl`,
                sha256: version.startsWith('v1') ? SHA_V1 : SHA_V2,
                size: 123,
                ...artifact,
              },
            ];
      await registry.register({
        name: 'iris',
        version,
        commit,
        runId,
        metadata: { runId, experiment: 'iris', ...(artifacts.length > 0 ? { artifacts } : {}) },
      });
    },
    async promote(version, stage) {
      await registry.promote('iris', version, stage);
    },
    writeConfig(yaml) {
      writeFileSync(join(repo, 'ghml.yml'), yaml);
    },
    close: () => api.close(),
  };
  return fixture;
}

/** The deployed version a Deployment's pod template says it runs. */
export function templateVersion(
  api: KubeApiServer,
  name = 'iris-prod',
  namespace = 'default',
): string | undefined {
  const d = api.get('apps/v1', 'Deployment', namespace, name) as
    { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined;
  return d?.spec?.template?.metadata?.annotations?.['ghml.dev/version'];
}
