/**
 * Deployments and their statuses. Like GitHub: the ref must resolve (seed it with
 * `state.setRef`/`addCommit`), the ref's commit statuses must pass unless `required_contexts`
 * says otherwise (409), a success status with `auto_inactive` marks earlier deployments to the
 * same environment inactive, and only inactive deployments can be deleted (unless alone).
 */
import { paginate } from '../pagination.js';
import {
  bodyOf,
  HttpError,
  intParam,
  notFound,
  requireCaller,
  validationFailed,
  type RouteContext,
  type RouteHandler,
} from '../route-context.js';
import type {
  DeploymentRecord,
  DeploymentState,
  DeploymentStatusRecord,
  EmulatorState,
  UserRecord,
} from '../state.js';

const MAX_DESCRIPTION = 140;

function deployment(context: RouteContext): DeploymentRecord {
  const found = context.state.deployment(context.repo, intParam(context, 'deployment_id'));
  if (found === undefined) throw notFound();
  return found;
}

function latestState(state: EmulatorState, id: number): DeploymentState | undefined {
  return state.statusesOfDeployment(id)[0]?.state;
}

function checkRequiredContexts(context: RouteContext, sha: string, required: unknown): void {
  const latest = new Map<string, string>();
  for (const status of context.state.statusesFor(context.repo, sha)) {
    if (!latest.has(status.context)) latest.set(status.context, status.state);
  }
  const contexts = Array.isArray(required) ? (required as string[]) : [...latest.keys()];
  const failing = contexts.filter((c) => latest.get(c) !== 'success');
  if (failing.length > 0) {
    throw new HttpError(409, `Conflict: Commit status checks failed for ${sha}.`, {
      errors: failing.map((c) => ({
        contexts: [{ context: c, state: latest.get(c) ?? 'missing' }],
      })),
    });
  }
}

function addStatus(
  context: RouteContext,
  target: DeploymentRecord,
  state: DeploymentState,
  creator: UserRecord,
  fields: Partial<
    Pick<DeploymentStatusRecord, 'description' | 'targetUrl' | 'logUrl' | 'environmentUrl'>
  > = {},
): DeploymentStatusRecord {
  const now = context.state.now();
  const record: DeploymentStatusRecord = {
    ...context.repo,
    id: context.state.nextId('deploymentStatus'),
    deploymentId: target.id,
    state,
    description: fields.description ?? '',
    environment: target.environment,
    targetUrl: fields.targetUrl ?? '',
    logUrl: fields.logUrl ?? fields.targetUrl ?? '',
    environmentUrl: fields.environmentUrl ?? '',
    creator,
    createdAt: now,
    updatedAt: now,
  };
  context.state.deploymentStatuses.push(record);
  target.updatedAt = now;
  return record;
}

export const deploymentRoutes: Record<string, RouteHandler> = {
  'repos/create-deployment': (context) => {
    const caller = requireCaller(context);
    const body = bodyOf(context);
    const ref = body['ref'] as string;
    const sha = context.state.resolveRef(context.repo, ref);
    if (sha === undefined) throw new HttpError(422, `No ref found for: ${ref}`);
    checkRequiredContexts(context, sha, body['required_contexts']);
    const environment = (body['environment'] as string | undefined) ?? 'production';
    const now = context.state.now();
    const record: DeploymentRecord = {
      ...context.repo,
      id: context.state.nextId('deployment'),
      sha,
      ref,
      task: (body['task'] as string | undefined) ?? 'deploy',
      environment,
      originalEnvironment: environment,
      description: (body['description'] as string | null | undefined) ?? '',
      payload: (body['payload'] as DeploymentRecord['payload'] | undefined) ?? {},
      transientEnvironment: body['transient_environment'] === true,
      productionEnvironment:
        (body['production_environment'] as boolean | undefined) ?? environment === 'production',
      creator: caller.user,
      createdAt: now,
      updatedAt: now,
    };
    context.state.deployments.push(record);
    return { status: 201, body: context.objects.deployment(record) };
  },

  'repos/list-deployments': (context) => {
    const q = context.query;
    const matches = (d: DeploymentRecord): boolean =>
      (q['sha'] === undefined || q['sha'] === 'none' || d.sha === q['sha']) &&
      (q['ref'] === undefined || q['ref'] === 'none' || d.ref === q['ref']) &&
      (q['task'] === undefined || q['task'] === 'none' || d.task === q['task']) &&
      (q['environment'] === undefined ||
        q['environment'] === null ||
        q['environment'] === 'none' ||
        d.environment === q['environment']);
    const list = context.state.deploymentsOf(context.repo).filter(matches);
    return paginate(
      context,
      list.map((d) => context.objects.deployment(d)),
    );
  },

  'repos/get-deployment': (context) => ({
    status: 200,
    body: context.objects.deployment(deployment(context)),
  }),

  'repos/delete-deployment': (context) => {
    const record = deployment(context);
    const alone = context.state.deploymentsOf(context.repo).length === 1;
    if (!alone && latestState(context.state, record.id) !== 'inactive') {
      throw new HttpError(
        422,
        'We cannot delete an active deployment unless it is the only deployment in a given environment.',
      );
    }
    context.state.deleteDeployment(record.id);
    return { status: 204 };
  },

  'repos/create-deployment-status': (context) => {
    const caller = requireCaller(context);
    const target = deployment(context);
    const body = bodyOf(context);
    const description = (body['description'] as string | undefined) ?? '';
    if (description.length > MAX_DESCRIPTION) {
      throw validationFailed({
        resource: 'DeploymentStatus',
        field: 'description',
        code: 'custom',
        message: `description is too long (maximum is ${MAX_DESCRIPTION} characters)`,
      });
    }
    const state = body['state'] as DeploymentState;
    const fields: Parameters<typeof addStatus>[4] = { description };
    if (typeof body['target_url'] === 'string') fields.targetUrl = body['target_url'];
    if (typeof body['log_url'] === 'string') fields.logUrl = body['log_url'];
    if (typeof body['environment_url'] === 'string')
      fields.environmentUrl = body['environment_url'];
    if (typeof body['environment'] === 'string') target.environment = body['environment'];
    const record = addStatus(context, target, state, caller.user, fields);
    if (state === 'success' && body['auto_inactive'] !== false) {
      for (const other of context.state.deploymentsOf(context.repo)) {
        if (
          other.id < target.id &&
          other.environment === target.environment &&
          !other.transientEnvironment &&
          !other.productionEnvironment &&
          latestState(context.state, other.id) === 'success'
        ) {
          addStatus(context, other, 'inactive', caller.user);
        }
      }
    }
    return { status: 201, body: context.objects.deploymentStatus(record) };
  },

  'repos/list-deployment-statuses': (context) => {
    const target = deployment(context);
    const list = context.state.statusesOfDeployment(target.id);
    return paginate(
      context,
      list.map((s) => context.objects.deploymentStatus(s)),
    );
  },

  'repos/get-deployment-status': (context) => {
    const target = deployment(context);
    const id = intParam(context, 'status_id');
    const found = context.state.statusesOfDeployment(target.id).find((s) => s.id === id);
    if (found === undefined) throw notFound();
    return { status: 200, body: context.objects.deploymentStatus(found) };
  },
};
