/**
 * `--namespace` / `--context` given on the command line or as action inputs, checked by the
 * same rules as `deploy.<stage>.namespace` / `.context` in ghml.yml: a namespace is a DNS-1123
 * label, a context a kubectl argument (no leading '-', no whitespace).
 */
import {
  CONTEXT_FIX,
  K8S_NAMESPACE,
  NAMESPACE_FIX,
  kubectlArgumentProblem,
} from '../../config/name-rules.js';
import { UsageError } from '../../errors/ghml-error.js';

/** A namespace or context override that ghml.yml would refuse too. */
export class InvalidKubeTargetError extends UsageError {
  constructor(
    readonly option: string,
    readonly value: string,
    why: string,
    fix: string,
  ) {
    super(`Invalid ${option} '${value.slice(0, 100)}': ${why}.`, { hint: fix });
    this.name = 'InvalidKubeTargetError';
  }
}

/** Checks the overrides; `names` are how the caller spells the two options in errors. */
export function checkKubeTarget(
  target: { namespace?: string | undefined; context?: string | undefined },
  names: { namespace: string; context: string },
): void {
  if (target.namespace !== undefined && !K8S_NAMESPACE.test(target.namespace)) {
    throw new InvalidKubeTargetError(
      names.namespace,
      target.namespace,
      'not a Kubernetes namespace',
      NAMESPACE_FIX,
    );
  }
  const problem = target.context === undefined ? undefined : kubectlArgumentProblem(target.context);
  if (target.context !== undefined && problem !== undefined) {
    throw new InvalidKubeTargetError(names.context, target.context, problem, CONTEXT_FIX);
  }
}
