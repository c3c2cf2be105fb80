/**
 * What `ghml init` tells a new user to do next, from what it just wrote: the training command
 * to fill in, a first local run, which action the workflows use, what to commit, and what each
 * workflow set needs on GitHub. Every command named here exists.
 */
import type { InitResult } from './init-repository.js';
import { TEMPLATE_ACTION_REF } from './workflow-templates.js';

export interface NextStepsInput {
  result: InitResult;
  /** The workflow sets installed (see WORKFLOW_SETS). */
  workflows: readonly string[];
  /** `--action-ref`, when given. */
  actionRef: string | undefined;
}

export function nextSteps(input: NextStepsInput): string[] {
  const { result, workflows } = input;
  const written = result.files.filter((f) => f.action !== 'unchanged' && f.action !== 'kept');
  const has = (set: string): boolean => workflows.includes(set);
  const steps: string[] = [];
  const training = has('train')
    ? '.github/workflows/train.yml'
    : has('fork-safe')
      ? '.github/workflows/train-fork-safe.yml'
      : undefined;
  if (training !== undefined) {
    steps.push(`set \`train:\` in ${training} to your training command`);
  }
  steps.push(
    'try it here: ghml run -- python train.py (any command), then ghml runs list and ghml compare',
  );
  if (workflows.length > 0 && input.actionRef === undefined) {
    steps.push(
      `the workflows use the action ${TEMPLATE_ACTION_REF}; point them at your copy of ghml: ghml init --action-ref <owner>/ghml@v1 --force`,
    );
  }
  if (written.length > 0) {
    const paths = [
      ...new Set(
        written.map((f) => (f.path.startsWith('.github/') ? '.github/workflows' : f.path)),
      ),
    ];
    steps.push(
      `commit and push: git add ${paths.join(' ')} && git commit -m "Add ghml" && git push`,
    );
  }
  if (has('train') || has('fork-safe')) {
    steps.push(
      'open a pull request: its runs are recorded on the tracking branch and compared in one comment',
    );
  }
  if (has('release')) {
    steps.push(
      'register a model from a run: ghml model register <name> (or run the release workflow)',
    );
  }
  if (has('release') || has('deploy')) {
    steps.push(
      'deploys: create a GitHub environment per stage (Settings → Environments) with a KUBECONFIG_DATA secret; try ghml deploy <name> --stage <stage> --dry-run first',
    );
  }
  return steps.map((step, i) => `  ${i + 1}. ${step}`);
}
