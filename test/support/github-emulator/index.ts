/**
 * The GitHub REST emulator for tests. Typical use:
 *
 * ```ts
 * let gh: GitHubEmulator;
 * beforeEach(async () => { gh = await startGitHubEmulator(); });
 * afterEach(async () => { await gh.close(); gh.assertNoViolations(); });
 *
 * gh.state.addPullRequest({ owner: 'o', repo: 'r', number: 7, head: {…}, base: {…} });
 * const client = createGitHubClient({ token: TEST_TOKENS.actions, baseUrl: gh.url, env: {} });
 * gh.faults.next({ route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', status: 500 });
 * expect(gh.requests.count('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}')).toBe(0);
 * ```
 */
export {
  startGitHubEmulator,
  DEFAULT_TOKENS,
  TEST_TOKENS,
  type GitHubEmulator,
  type GitHubEmulatorOptions,
  type TokenIdentity,
  type Violation,
} from './emulator.js';
export { FaultInjector, type FaultSpec } from './faults.js';
export { RequestLog, type LoggedRequest } from './request-log.js';
export { EmulatorState, fakeSha } from './state.js';
export type * from './state.js';
export { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './pagination.js';
