// @actions/core pulls in @actions/http-client, which imports undici (400 KB) only for the
// proxy dispatcher of its HttpClient. ghml never uses that client (it is for OIDC tokens);
// GitHub API calls go through Octokit and Node's own fetch. This stub keeps undici out of the
// bundles and fails loudly if that path is ever reached.
export class ProxyAgent {
  constructor() {
    throw new Error('ghml bundles no HTTP proxy agent for @actions/http-client');
  }
}
