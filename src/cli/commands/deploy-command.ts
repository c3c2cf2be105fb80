/**
 * `ghml deploy <name> --stage <stage>`, `ghml deploy status <name>` and
 * `ghml deploy rollback <name> --stage <stage>`: parse, call src/deploy, print.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/ghml-error.js';
import { parseDuration } from '../../deploy/duration.js';
import { DeployFailedError, type DeployResult } from '../../deploy/deploy-result.js';
import { createDeployService } from '../../deploy/deploy-setup.js';
import type { DeployService, StageStatus } from '../../deploy/deploy-service.js';
import { checkKubeTarget } from '../../deploy/kube/kube-target-options.js';
import { formatManifests } from '../../deploy/manifests/manifest-format.js';
import type { CommandContext } from '../program.js';

interface TargetOptions {
  context?: string;
  namespace?: string;
  json?: boolean;
}

interface DeployOptions extends TargetOptions {
  stage?: string;
  version?: string;
  dryRun?: boolean;
  timeout: string;
  modelcar?: boolean;
  modelcarBase?: string;
}

const DEFAULT_TIMEOUT = '300s';

function modelcarOption(options: DeployOptions): { modelcar?: { base?: string } } {
  if (options.modelcarBase !== undefined && options.modelcar !== true) {
    throw new UsageError('--modelcar-base is the base image of a modelcar: add --modelcar.', {
      hint: 'e.g. ghml deploy iris --stage prod --modelcar --modelcar-base ghcr.io/acme/busybox:1.36',
    });
  }
  if (options.modelcar !== true) return {};
  return { modelcar: options.modelcarBase === undefined ? {} : { base: options.modelcarBase } };
}

function requireStage(stage: string | undefined, name: string): string {
  if (stage === undefined) {
    throw new UsageError('Which stage? --stage is required.', {
      hint: `e.g. ghml deploy ${name} --stage prod`,
    });
  }
  return stage;
}

function service(command: Command, context: CommandContext): Promise<DeployService> {
  const repo = (command.optsWithGlobals() as { repo?: string }).repo;
  return createDeployService({
    cwd: resolve(context.cwd, repo ?? '.'),
    env: context.env,
    log: (message) => context.io.err(message),
  });
}

function overrides(options: TargetOptions): { context?: string; namespace?: string } {
  checkKubeTarget(options, { namespace: '--namespace', context: '--context' });
  return {
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
  };
}

function printResult(
  context: CommandContext,
  result: DeployResult,
  json: boolean | undefined,
): void {
  for (const note of result.notes) context.io.err(`ghml: note: ${note}`);
  if (json) {
    context.io.out(JSON.stringify(result, null, 2));
    return;
  }
  if (result.outcome === 'dry-run') {
    context.io.out(formatManifests(result.manifests).replace(/\n$/, ''));
  } else if (result.outcome === 'succeeded') {
    if (result.modelcar?.digest != null)
      context.io.out(`modelcar ${result.modelcar.reference}@${result.modelcar.digest}`);
    const verb = result.action === 'rollback' ? 'rolled back to' : 'deployed';
    context.io.out(`${result.model} ${result.version} ${verb} in stage '${result.stage}'`);
  }
}

/** Runs a deploy or rollback; on failure prints the result (with --json) and rethrows. */
async function run(
  context: CommandContext,
  json: boolean | undefined,
  action: () => Promise<DeployResult>,
): Promise<void> {
  try {
    printResult(context, await action(), json);
  } catch (error) {
    if (error instanceof DeployFailedError) {
      for (const note of error.result.notes) context.io.err(`ghml: note: ${note}`);
      if (json) context.io.out(JSON.stringify(error.result, null, 2));
    }
    throw error;
  }
}

function statusTable(rows: readonly StageStatus[]): string {
  const header = ['STAGE', 'REGISTRY', 'CLUSTER', 'STATE', 'DEPLOYED AT', 'WHERE'];
  const body = rows.map((r) => [
    r.stage,
    r.registryVersion ?? '-',
    r.clusterVersion ?? '-',
    r.state === 'drift' ? 'DRIFT' : r.state,
    r.deployedAt ?? '-',
    `${r.context ?? '(current context)'}/${r.namespace ?? '(default namespace)'}`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = rows.filter((r) => r.note !== null).map((r) => `${r.stage}: ${r.note}`);
  return [line(header), ...body.map(line), ...notes].join('\n');
}

export function registerDeployCommand(program: Command, context: CommandContext): void {
  const deploy = program
    .command('deploy')
    .description(
      'deploy a registered model to Kubernetes with kubectl (also: deploy status, deploy rollback)',
    )
    .argument('<name>', 'model name')
    // Not requiredOption: commander would then demand it from `deploy status` too.
    .option('-s, --stage <stage>', 'stage to deploy (its registry assignment decides the version)')
    .option(
      '--version <version>',
      'deploy this version (vX.Y.Z) instead of the stage’s current one',
    )
    .option('--dry-run', 'print the manifests and exit (needs no cluster, kubectl or token)')
    .option(
      '--context <context>',
      'kubeconfig context (default: deploy.<stage>.context, then the current context)',
    )
    .option(
      '-n, --namespace <namespace>',
      'namespace (default: deploy.<stage>.namespace, then the context’s)',
    )
    .option(
      '--timeout <duration>',
      'how long to wait for the rollout, e.g. 300s or 5m',
      DEFAULT_TIMEOUT,
    )
    .option(
      '--modelcar',
      'push a KServe modelcar (an image whose /models holds the model) to the artifact store and serve it from storageUri oci://… (templates: kserve or kserve-mlflow)',
    )
    .option(
      '--modelcar-base <image>',
      "the modelcar's base image; it needs a shell (default: docker.io/library/busybox:1.36)",
    )
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: DeployOptions, command: Command) => {
      const stage = requireStage(options.stage, name);
      const timeoutMs = parseDuration(options.timeout);
      const target = overrides(options);
      const deployer = await service(command, context);
      await run(context, options.json, () =>
        deployer.deploy({
          model: name,
          stage,
          ...(options.version === undefined ? {} : { version: options.version }),
          ...target,
          timeoutMs,
          dryRun: options.dryRun === true,
          ...modelcarOption(options),
        }),
      );
    });

  deploy
    .command('status')
    .description(
      'show which version each stage runs in the cluster, next to the registry; flags drift (exit 1 when the cluster cannot be read)',
    )
    .argument('<name>', 'model name')
    .option('-s, --stage <stage>', 'only this stage')
    .option('--context <context>', 'kubeconfig context')
    .option('-n, --namespace <namespace>', 'namespace')
    .option('--json', 'print the rows as JSON')
    .action(async (name: string, _options: unknown, command: Command) => {
      // The parent `deploy` has the same option names, so commander may file them there.
      const options = command.optsWithGlobals<TargetOptions & { stage?: string }>();
      const target = overrides(options);
      const deployer = await service(command, context);
      const rows = await deployer.status({
        model: name,
        ...(options.stage === undefined ? {} : { stage: options.stage }),
        ...target,
      });
      context.io.out(options.json ? JSON.stringify(rows, null, 2) : statusTable(rows));
      const unknown = rows.filter((r) => r.state === 'unknown').map((r) => r.stage);
      if (unknown.length > 0) {
        // The registry side printed above is still right; what the cluster runs is not known.
        context.io.err(
          `ghml: could not read the cluster for stage${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `'${s}'`).join(', ')} (see above): exit status 1`,
        );
        context.setExitCode(1);
      }
    });

  deploy
    .command('rollback')
    .description(
      'deploy the version that ran before the current one (from the live objects’ history)',
    )
    .argument('<name>', 'model name')
    .option('-s, --stage <stage>', 'stage to roll back')
    .option('--context <context>', 'kubeconfig context')
    .option('-n, --namespace <namespace>', 'namespace')
    .option('--timeout <duration>', 'how long to wait for the rollout', DEFAULT_TIMEOUT)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DeployOptions>();
      const stage = requireStage(options.stage, name);
      const timeoutMs = parseDuration(options.timeout);
      const target = overrides(options);
      const deployer = await service(command, context);
      await run(context, options.json, () =>
        deployer.rollback({ model: name, stage, ...target, timeoutMs }),
      );
    });
}
