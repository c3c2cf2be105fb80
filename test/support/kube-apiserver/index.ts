/**
 * The Kubernetes API-server stand-in for tests. The real `kubectl` talks to it:
 *
 * ```ts
 * const api = await startKubeApiServer({ scenario: 'ready' });
 * const kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), { server: api.url, token: api.token });
 * const env = standinEnv(kubeconfig); // never a real cluster
 * api.setScenario((s) => (s.annotations['ghml.dev/version'] === 'v2.0.0' ? 'crash-loop' : 'ready'));
 * ```
 */
export {
  startKubeApiServer,
  type KubeApiServer,
  type KubeApiServerOptions,
  type KubeRequest,
} from './kube-apiserver.js';
export {
  writeKubeconfig,
  standinEnv,
  STANDIN_CONTEXTS,
  type KubeconfigOptions,
} from './kubeconfig.js';
export type { RolloutScenario, RolloutSubject, ScenarioFunction } from './workload-controller.js';
export { manifestProblems } from './manifest-validation.js';
export { INFERENCE_SERVICE_SCHEMA } from './inference-service-schema.js';
