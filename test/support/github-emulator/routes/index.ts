/** Every route handler, by the OpenAPI operationId it implements. */
import type { RouteHandler } from '../route-context.js';
import { commitRoutes } from './commits.js';
import { deploymentRoutes } from './deployments.js';
import { issueCommentRoutes } from './issue-comments.js';
import { pullRoutes } from './pulls.js';
import { releaseAssetRoutes } from './release-assets.js';
import { releaseRoutes } from './releases.js';
import { statusRoutes } from './statuses.js';
import { userRoutes } from './users.js';

export const ROUTES: Readonly<Record<string, RouteHandler>> = {
  ...userRoutes,
  ...issueCommentRoutes,
  ...pullRoutes,
  ...commitRoutes,
  ...statusRoutes,
  ...releaseRoutes,
  ...releaseAssetRoutes,
  ...deploymentRoutes,
};
