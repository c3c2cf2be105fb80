/** Commands open the repository through the same service the action uses. */
export {
  openRepository,
  refreshRuns,
  type OpenRepository,
} from '../tracking/repository-context.js';
