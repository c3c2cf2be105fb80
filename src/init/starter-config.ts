/** The ghml.yml `ghml init` writes: every field shown, most commented out at its default. */
import { parse } from 'yaml';
import { validateExperimentName } from '../tracking/run-limits.js';

/**
 * The name as a YAML scalar that reads back as that string: names such as `null`, `true` or
 * `1.0` are quoted (experiment names hold no quote, so single quotes are always enough).
 */
function yamlName(name: string): string {
  return parse(name) === name ? name : `'${name}'`;
}

export function starterConfig(experiment: string): string {
  const plain = validateExperimentName(experiment);
  const name = yamlName(plain);
  return `# ghml settings (docs/config.md lists every field). Every field has a default.
default_experiment: ${name}

experiments:
  ${name}:
    metrics:
      # direction: max when higher is better, min when lower is better.
      # threshold: a change smaller than this is "unchanged"; a larger drop fails the PR's
      # ghml/${plain} status. Absolute (0.01) or relative (1%).
      accuracy: { direction: max, threshold: 1% }
      loss: { direction: min }

# tracking:
#   branch: ghml/runs        # where runs are committed
#   remote: origin
#   stdout_metrics: false    # true: read key=value lines on the training output as metrics
# sources:
#   params: [params.yaml]    # files whose values become the run's params
#   metrics: [metrics.json, metrics.yaml]
# artifacts:
#   max_file_size: 1MiB      # larger files are recorded by digest only
#   max_total_size: 10MiB
# registry:
#   stages: [staging, prod]
#   models:
#     ${name}: { path: model.pkl, experiment: ${name} }
`;
}
