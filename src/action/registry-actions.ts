/**
 * `command: register | promote | deploy` over the same services as `ghml model …` and
 * `ghml deploy …`. A `release: published` event registers the release's tag (adopting a tag
 * made by GitHub's "Draft a new release", which is lightweight).
 */
import { createDeployService } from '../deploy/deploy-setup.js';
import { formatManifests } from '../deploy/manifests/manifest-format.js';
import { GhmlError } from '../errors/ghml-error.js';
import { openRegistryContext } from '../registry/registry-context.js';
import {
  adoptPublishedRelease,
  promoteModel,
  registerModel,
  type RegistryContext,
  type ReleaseEventPayload,
} from '../registry/registration-workflow.js';
import type { ActionIo } from './action-io.js';
import type {
  DeployCommandSettings,
  PromoteCommandSettings,
  RegisterCommandSettings,
} from './inputs.js';

/** Outputs of the registry and deploy commands, declared in action.yml. */
export const REGISTRY_OUTPUTS = ['version', 'tag', 'release-url', 'deployment-id'] as const;

function openContext(
  settings: RegisterCommandSettings | PromoteCommandSettings,
  io: ActionIo,
): Promise<RegistryContext> {
  const env = { ...settings.env };
  if (settings.token !== undefined) env.GITHUB_TOKEN = settings.token;
  return openRegistryContext({
    cwd: settings.workingDirectory,
    env,
    note: (message) => io.info(message),
  });
}

/** The latest FINISHED run of the model's experiment at `ref`, for the `ref` input. */
async function runAtRef(context: RegistryContext, model: string, ref: string): Promise<string> {
  const commit = await context.git.tryRevParse(`${ref}^{commit}`);
  if (!commit) {
    throw new GhmlError(`input 'ref': unknown commit '${ref}'`, {
      hint: 'fetch it first (actions/checkout with fetch-depth: 0), or leave ref empty for HEAD',
    });
  }
  const models = context.config.registry.models;
  const experiment =
    (Object.hasOwn(models, model) ? models[model] : undefined)?.experiment ?? model;
  const runs = await context.store.readRuns(await context.store.runsAtCommit(commit, experiment));
  const finished = runs
    .filter((run) => run.record.status === 'FINISHED')
    .sort((a, b) => (a.id < b.id ? 1 : -1));
  const latest = finished[0];
  if (!latest) {
    throw new GhmlError(`no FINISHED run of experiment '${experiment}' at ${commit.slice(0, 7)}`, {
      hint: 'train on that commit first (command: run), or pass run-id',
    });
  }
  return latest.id;
}

async function register(settings: RegisterCommandSettings, io: ActionIo): Promise<void> {
  const context = await openContext(settings, io);
  if (settings.event.name === 'release') {
    const outcome = await adoptPublishedRelease(
      context,
      settings.event.payload as ReleaseEventPayload,
    );
    if (!outcome.adopted) {
      io.info(`ghml: nothing to register: ${outcome.reason}`);
      return;
    }
    io.setOutput('version', outcome.result.version ?? '');
    io.setOutput('tag', outcome.result.tag);
    io.setOutput('release-url', outcome.result.release?.url ?? '');
    io.info(`ghml: registered ${outcome.result.tag} from run ${outcome.result.runId}`);
    return;
  }
  const runId =
    settings.runId ??
    (settings.ref === undefined
      ? undefined
      : await runAtRef(context, settings.model, settings.ref));
  const result = await registerModel(context, {
    name: settings.model,
    ...(settings.version === undefined ? {} : { version: settings.version }),
    ...(settings.bump === undefined ? {} : { bump: settings.bump }),
    ...(runId === undefined ? {} : { runId }),
  });
  io.setOutput('version', result.version ?? '');
  io.setOutput('tag', result.tag);
  io.setOutput('release-url', result.release?.url ?? '');
  io.info(
    `ghml: registered ${result.tag} on ${result.commit.slice(0, 12)} from run ${result.runId}`,
  );
}

async function promote(settings: PromoteCommandSettings, io: ActionIo): Promise<void> {
  const context = await openContext(settings, io);
  const result = await promoteModel(context, settings.model, settings.version, settings.stage);
  io.setOutput('version', result.version ?? '');
  io.setOutput('tag', result.tag);
  io.info(
    `ghml: promoted ${settings.model} ${result.version ?? ''} to ${settings.stage}: ${result.tag}`,
  );
}

async function deploy(settings: DeployCommandSettings, io: ActionIo): Promise<void> {
  const env = { ...settings.env };
  if (settings.token !== undefined) env.GITHUB_TOKEN = settings.token;
  const service = await createDeployService({
    cwd: settings.workingDirectory,
    env,
    log: (message) => io.info(message),
    ...(settings.token === undefined ? {} : { jobToken: settings.token }),
  });
  const result = await service.deploy({
    model: settings.model,
    stage: settings.stage,
    timeoutMs: settings.timeoutSeconds * 1000,
    dryRun: settings.dryRun,
    ...(settings.version === undefined ? {} : { version: settings.version }),
    ...(settings.namespace === undefined ? {} : { namespace: settings.namespace }),
    ...(settings.context === undefined ? {} : { context: settings.context }),
  });
  for (const note of result.notes) io.info(`ghml: ${note}`);
  if (result.outcome === 'dry-run') io.info(formatManifests(result.manifests));
  io.setOutput('version', result.version);
  io.setOutput('tag', result.tag);
  if (result.githubDeploymentId !== null)
    io.setOutput('deployment-id', String(result.githubDeploymentId));
  io.info(
    `ghml: ${result.model} ${result.version} ${result.outcome === 'dry-run' ? 'rendered for' : 'deployed to'} ${result.stage}`,
  );
}

export async function registryAction(
  settings: RegisterCommandSettings | PromoteCommandSettings | DeployCommandSettings,
  io: ActionIo,
): Promise<void> {
  switch (settings.command) {
    case 'register':
      return register(settings, io);
    case 'promote':
      return promote(settings, io);
    case 'deploy':
      return deploy(settings, io);
  }
}
