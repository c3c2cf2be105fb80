/**
 * Compiles a pipeline to a Kubeflow Pipelines v2 PipelineSpec (the IR YAML that `kfp`
 * compiles to and `kfp run create` submits; schemaVersion 2.1.0): one component and one
 * executor per stage, each a container of ghml.yml `pipeline.image` running
 * `ghml repro --single-item <stage>`, with `dependentTasks` from the DAG. Outputs travel
 * through ghml's content store and run cache, not KFP artifacts, so KFP's own cache (which
 * sees only the image and arguments) is turned off and ghml decides what runs. Every task
 * takes the KFP job's uuid as its pipeline-run id, so a run's stages are grouped in ghml too.
 */
import { stringify } from 'yaml';
import type { LoadedPipeline } from '../definition/load-pipeline.js';
import { CompileError } from './compile-errors.js';
import { kfpName, uniqueNames } from './compile-names.js';

declare const GHML_VERSION: string | undefined;

export const KFP_SCHEMA_VERSION = '2.1.0';
const RUN_ID_INPUT = 'pipeline_run_id';

export interface KfpCompileOptions {
  /** Overrides ghml.yml `pipeline.image`. */
  image?: string | undefined;
}

export function compileKfpPipelineSpec(
  loaded: LoadedPipeline,
  options: KfpCompileOptions = {},
): string {
  const { graph, definition } = loaded;
  const image = options.image ?? definition.image;
  if (image === null || image === '') {
    throw new CompileError(
      'the Kubeflow target needs a container image, and ghml.yml sets no pipeline.image',
      'add pipeline: {image: ghcr.io/acme/train:1.0} to ghml.yml (an image holding the repository and ghml), or pass --image',
    );
  }
  const names = uniqueNames(
    graph.order.map((s) => s.name),
    kfpName,
  );
  const components: Record<string, unknown> = {};
  const executors: Record<string, unknown> = {};
  const tasks: Record<string, unknown> = {};
  for (const stage of graph.order) {
    const task = names.get(stage.name) as string;
    components[`comp-${task}`] = {
      executorLabel: `exec-${task}`,
      inputDefinitions: { parameters: { [RUN_ID_INPUT]: { parameterType: 'STRING' } } },
    };
    executors[`exec-${task}`] = {
      container: {
        args: [
          'repro',
          '--single-item',
          '--pipeline-run-id',
          `{{$.inputs.parameters['${RUN_ID_INPUT}']}}`,
          stage.name,
        ],
        command: ['ghml'],
        image,
      },
    };
    const dependentTasks = graph.upstreamOf(stage.name).map((up) => names.get(up) as string);
    tasks[task] = {
      cachingOptions: { enableCache: false },
      componentRef: { name: `comp-${task}` },
      ...(dependentTasks.length > 0 ? { dependentTasks } : {}),
      inputs: {
        parameters: { [RUN_ID_INPUT]: { runtimeValue: { constant: '{{$.pipeline_job_uuid}}' } } },
      },
      taskInfo: { name: task },
    };
  }
  const spec = {
    components,
    deploymentSpec: { executors },
    pipelineInfo: {
      name: definition.name,
      description: `Compiled by ghml from ${definition.file}: each task runs one stage with ghml repro.`,
    },
    root: { dag: { tasks } },
    schemaVersion: KFP_SCHEMA_VERSION,
    sdkVersion: `ghml-${typeof GHML_VERSION === 'string' ? GHML_VERSION : '0.0.0-dev'}`,
  };
  return `# PIPELINE DEFINITION\n# Name: ${definition.name}\n${stringify(spec, { lineWidth: 0 })}`;
}
