/**
 * GitHub's own parser for workflows and action.yml files (@actions/workflow-parser, the one
 * behind the Actions language service). Its modules import JSON schemas without import
 * attributes, which Node 20 refuses, so it is bundled once with esbuild into a temp folder
 * and loaded from there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** One problem the parser found. */
export interface ParseProblem {
  message: string;
}

interface ParserModule {
  parseWorkflow(
    file: { name: string; content: string },
    trace: unknown,
  ): { context: { errors: { getErrors(): ParseProblem[] } } };
  parseAction(
    file: { name: string; content: string },
    trace: unknown,
  ): { context: { errors: { getErrors(): ParseProblem[] } } };
  NoOperationTraceWriter: new () => unknown;
}

let loaded: Promise<ParserModule> | undefined;

async function load(root: string): Promise<ParserModule> {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-workflow-parser-'));
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    "export { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';\n" +
      "export { parseAction } from '@actions/workflow-parser/actions/index';\n",
  );
  const outfile = join(dir, 'workflow-parser.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'warning',
    // CommonJS dependencies (yaml) call require() for Node built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return (await import(pathToFileURL(outfile).href)) as ParserModule;
}

export function workflowParser(root: string): Promise<ParserModule> {
  loaded ??= load(root);
  return loaded;
}

export async function workflowProblems(
  root: string,
  name: string,
  content: string,
): Promise<string[]> {
  const parser = await workflowParser(root);
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

export async function actionProblems(
  root: string,
  name: string,
  content: string,
): Promise<string[]> {
  const parser = await workflowParser(root);
  const result = parser.parseAction({ name, content }, new parser.NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}
