/**
 * The `artifacts.store` setting of ghml.yml as a parse/format pair: `none`, or
 * `oci://<registry>[:port]/<repository-prefix>` naming an OCI registry and the repository path
 * under which ghml keeps its repositories (`<prefix>/runs`, `<prefix>/models/<name>`).
 * `parseArtifactStoreUrl(s)` returns undefined for anything else (`artifactStoreUrlProblem`
 * says why), and `formatArtifactStoreUrl` gives back the canonical text, so
 * `format(parse(format(x)))` is `format(x)`. No credentials, query or fragment is accepted in
 * the URL: credentials come from the environment or the docker config, never from ghml.yml.
 */

/** Where artifacts too large for the tracking branch are kept. */
export type ArtifactStoreUrl =
  | { kind: 'none' }
  | {
      kind: 'oci';
      /** `host[:port]`, lowercase; an IPv6 host keeps its brackets, e.g. `[::1]:5000`. */
      registry: string;
      /** Repository path prefix, e.g. `acme/models`; '' for the registry's root. */
      prefix: string;
    };

/** An OCI repository path: lowercase components joined by '/' (the distribution spec's rule). */
export const REPOSITORY_PATH =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Longest prefix accepted: repository names are at most 255 characters in most registries. */
export const MAX_PREFIX_LENGTH = 200;

const HOST_NAME =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;

/** Why `text` is not a valid `artifacts.store` value, or undefined when it is. */
export function artifactStoreUrlProblem(text: string): string | undefined {
  if (text === 'none') return undefined;
  if (!text.startsWith('oci://')) return "it is neither 'none' nor an oci:// URL";
  const rest = text.slice('oci://'.length);
  if (/[\s?#@\\]/.test(rest)) {
    return "it contains a space, '?', '#', '@' or '\\' (credentials, queries and fragments are not accepted)";
  }
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/$/, '');
  const problem = registryProblem(authority);
  if (problem !== undefined) return problem;
  if (prefix === '') return undefined;
  if (prefix.length > MAX_PREFIX_LENGTH) {
    return `its repository prefix is longer than ${MAX_PREFIX_LENGTH} characters`;
  }
  if (prefix !== prefix.toLowerCase()) return 'its repository prefix has uppercase letters';
  if (!REPOSITORY_PATH.test(prefix)) {
    return "its repository prefix is not a repository path (lowercase letters and digits, separated by '.', '_', '__', '-' or '/')";
  }
  return undefined;
}

function registryProblem(authority: string): string | undefined {
  if (authority === '') return 'it names no registry';
  const ipv6 = authority.startsWith('[');
  const close = ipv6 ? authority.indexOf(']') + 1 : -1;
  const colon = ipv6 ? (authority[close] === ':' ? close : -1) : authority.lastIndexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  const port = colon === -1 ? undefined : authority.slice(colon + 1);
  if (ipv6 ? !IPV6.test(host.toLowerCase()) : !HOST_NAME.test(host.toLowerCase())) {
    return `its registry host '${host}' is not a host name or IP address`;
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!PORT.test(port) || n < 1 || n > 65535) return `its port '${port}' is not 1-65535`;
  }
  return undefined;
}

/** Parses an `artifacts.store` value; undefined when {@link artifactStoreUrlProblem} has one. */
export function parseArtifactStoreUrl(text: string): ArtifactStoreUrl | undefined {
  if (artifactStoreUrlProblem(text) !== undefined) return undefined;
  if (text === 'none') return { kind: 'none' };
  const rest = text.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const registry = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/$/, '');
  return { kind: 'oci', registry, prefix };
}

/** The canonical text of a setting: `none`, or `oci://registry/prefix` (no trailing '/'). */
export function formatArtifactStoreUrl(url: ArtifactStoreUrl): string {
  if (url.kind === 'none') return 'none';
  return url.prefix === '' ? `oci://${url.registry}` : `oci://${url.registry}/${url.prefix}`;
}
