/** `GET /user` and `GET /rate_limit`. */
import { HttpError, requireCaller, type RouteHandler } from '../route-context.js';

export const userRoutes: Record<string, RouteHandler> = {
  'users/get-authenticated': (context) => {
    const caller = requireCaller(context);
    // Installation tokens (GITHUB_TOKEN, GitHub Apps) have no user to describe.
    if (caller.user.type === 'Bot') {
      throw new HttpError(403, 'Resource not accessible by integration');
    }
    return { status: 200, body: context.objects.privateUser(caller.user) };
  },

  'rate-limit/get': (context) => ({ status: 200, body: context.objects.rateLimit(4999) }),
};
