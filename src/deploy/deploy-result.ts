/** What a deploy, rollback or dry run reports, and the error a failed rollout throws. */
import { GhmlError } from '../errors/ghml-error.js';
import type { ClusterEvent, PodProblem } from './kube/failure-report.js';
import { describeFailureReport } from './kube/failure-report.js';
import type { KubeObject } from './manifests/manifest-render.js';
import type { ModelcarResult } from './delivery/modelcar-deploy.js';

export interface DeployFailure {
  /** 'failed' (e.g. ProgressDeadlineExceeded, model failed to load) or 'timeout'. */
  state: 'failed' | 'timeout';
  /** Which workload, e.g. 'Deployment/iris-prod'. */
  workload: string;
  message: string;
  problems: PodProblem[];
  events: ClusterEvent[];
}

export interface DeployResult {
  action: 'deploy' | 'rollback';
  outcome: 'succeeded' | 'failed' | 'dry-run';
  model: string;
  version: string;
  stage: string;
  commit: string;
  tag: string;
  /** 'iris#prod' or 'iris@v1.3.0'. */
  reference: string;
  namespace: string | null;
  context: string | null;
  /** 'deployment', 'kserve', 'kserve-mlflow' or the user's folder. */
  templates: string;
  /** The version that ran before, as the live objects said. */
  previousVersion: string | null;
  /** After a failure: what runs now ('v1.2.0', 'previous revision'), or null when nothing was rolled back. */
  rolledBackTo: string | null;
  /** kubectl's apply lines. */
  applied: string[];
  manifests: KubeObject[];
  failure: DeployFailure | null;
  githubDeploymentId: number | null;
  /** Things the user should know that did not stop the deploy (GitHub skipped, …). */
  notes: string[];
  /** The KServe modelcar pushed (or, in a dry run, planned) for this deploy, else null. */
  modelcar: ModelcarResult | null;
}

/** The rollout failed or timed out; `result` has the details, after any rollback. */
export class DeployFailedError extends GhmlError {
  constructor(readonly result: DeployResult) {
    const failure = result.failure;
    const what = `${result.model} ${result.version} to stage '${result.stage}'`;
    const why =
      failure === null
        ? 'failed'
        : failure.state === 'timeout'
          ? `timed out: ${failure.message}`
          : `failed: ${failure.message}`;
    const back =
      result.rolledBackTo === null
        ? 'Nothing was rolled back.'
        : `Rolled back to ${result.rolledBackTo}.`;
    const lines = failure === null ? [] : describeFailureReport(failure);
    super(
      [
        `Rollout of ${what} ${why}. ${back}`,
        ...(lines.length > 0 ? ['Cluster events:', ...lines.map((l) => `  ${l}`)] : []),
      ].join('\n'),
      {
        hint:
          failure?.state === 'timeout'
            ? 'Raise --timeout if the model needs longer to start, or check the events above.'
            : 'Fix the cause above (image, model file, resources) and deploy again.',
      },
    );
    this.name = 'DeployFailedError';
  }
}
