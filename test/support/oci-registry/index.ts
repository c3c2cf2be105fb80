/**
 * The real OCI registry for tests (Debian's docker-registry, CNCF distribution 2.8), its token
 * service and a fault-injecting proxy:
 *
 * ```ts
 * const registry = await startRegistry({ auth: { kind: 'htpasswd', users: { alice: 's3cret' } } });
 * const proxy = await startFaultProxy(registry.host);
 * proxy.addFault({ method: 'PATCH', times: 2, action: { kind: 'status', status: 503 } });
 * // ... oci://<proxy.host>/acme ...
 * await proxy.close(); await registry.stop();
 * ```
 */
export {
  REGISTRY_BINARY,
  freePort,
  startRegistry,
  type RegistryAuthMode,
  type RegistryOptions,
  type RunningRegistry,
} from './registry-process.js';
export {
  TOKEN_ISSUER,
  TOKEN_SERVICE,
  startTokenServer,
  type GrantPolicy,
  type TokenRequestRecord,
  type TokenServer,
  type TokenServerOptions,
} from './token-server.js';
export {
  startFaultProxy,
  type FaultAction,
  type FaultProxy,
  type FaultRule,
  type ProxiedRequest,
} from './fault-proxy.js';
export { blobDataPath } from './registry-storage.js';
