/** Chooses the compiler for a target. */
import type { LoadedPipeline } from '../definition/load-pipeline.js';
import { compileActionsWorkflow, type ActionsCompileOptions } from './actions-workflow.js';
import { compileKfpPipelineSpec } from './kfp-pipeline-spec.js';

export const COMPILE_TARGETS = ['actions', 'kfp'] as const;
export type CompileTarget = (typeof COMPILE_TARGETS)[number];

export interface CompileOptions extends Partial<ActionsCompileOptions> {
  image?: string | undefined;
}

export function compilePipeline(
  loaded: LoadedPipeline,
  target: CompileTarget,
  options: CompileOptions = {},
): string {
  if (target === 'kfp') return compileKfpPipelineSpec(loaded, { image: options.image });
  return compileActionsWorkflow(loaded, {
    projectDir: options.projectDir ?? '',
    outputsVia: options.outputsVia ?? 'artifacts',
  });
}
