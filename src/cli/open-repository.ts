/**
 * Commands open the repository through the same service the action uses. Reads that skip a
 * bad record on the tracking branch say so on stderr, once per problem, and go on.
 */
import {
  openRepository as openRepositoryService,
  type OpenRepository,
} from '../tracking/repository-context.js';

export { refreshRuns, type OpenRepository } from '../tracking/repository-context.js';

export function openRepository(
  cwd: string,
  warn: (message: string) => void = (message) =>
    process.stderr.write(`ghml: warning: ${message}\n`),
): Promise<OpenRepository> {
  return openRepositoryService(cwd, { warn });
}
