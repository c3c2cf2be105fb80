/**
 * A structural check of a Kubeflow Pipelines v2 PipelineSpec (IR YAML), written from the
 * fields of `ml_pipelines.PipelineSpec` in KFP's api/v2alpha1/pipeline_spec.proto (JSON
 * names): known fields only, the oneofs (a component is a DAG or an executor; an executor is
 * a container, importer or resolver), and every cross-reference (componentRef, executorLabel,
 * dependentTasks, input parameters used by a container). A task may pass inputs its component
 * does not declare (the SDK does so for resource fields). Names are in the form the SDK
 * sanitises them to (lowercase letters, digits, inner '-'), and `dependentTasks` form no cycle.
 * KFP's own compiled examples pass it (see the KFP_EXAMPLES_DIR test); it returns the problems
 * found.
 */

type Obj = Record<string, unknown>;

const SPEC_FIELDS = [
  'pipelineInfo',
  'deploymentSpec',
  'sdkVersion',
  'schemaVersion',
  'components',
  'root',
  'defaultPipelineRoot',
];
const COMPONENT_FIELDS = [
  'inputDefinitions',
  'outputDefinitions',
  'dag',
  'executorLabel',
  'singlePlatformSpecs',
  'taskConfigPassthroughs',
];
const TASK_FIELDS = [
  'taskInfo',
  'inputs',
  'dependentTasks',
  'cachingOptions',
  'componentRef',
  'triggerPolicy',
  'parameterIterator',
  'artifactIterator',
  'retryPolicy',
  'iteratorPolicy',
];
const CONTAINER_FIELDS = ['image', 'command', 'args', 'lifecycle', 'resources', 'env'];
const EXECUTOR_KINDS = ['container', 'importer', 'resolver', 'customJob'];
const PARAMETER_TYPES = [
  'NUMBER_DOUBLE',
  'NUMBER_INTEGER',
  'STRING',
  'BOOLEAN',
  'LIST',
  'STRUCT',
  'TASK_FINAL_STATUS',
  'TASK_CONFIG',
];

/** A name as the kfp SDK sanitises it: lowercase letters and digits, '-' inside. */
const KFP_NAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kfpStructureProblems(spec: unknown): string[] {
  const problems: string[] = [];
  const bad = (where: string, what: string): void => {
    problems.push(`${where}: ${what}`);
  };
  const fields = (where: string, value: unknown, allowed: readonly string[]): value is Obj => {
    if (!isObj(value)) {
      bad(where, 'must be a mapping');
      return false;
    }
    for (const key of Object.keys(value))
      if (!allowed.includes(key)) bad(where, `unknown field '${key}'`);
    return true;
  };
  if (!fields('PipelineSpec', spec, SPEC_FIELDS)) return problems;
  if (spec['schemaVersion'] !== '2.1.0')
    bad('schemaVersion', `must be 2.1.0, got ${String(spec['schemaVersion'])}`);
  const info = spec['pipelineInfo'];
  if (!isObj(info) || typeof info['name'] !== 'string' || info['name'] === '')
    bad('pipelineInfo.name', 'is required');
  const components = isObj(spec['components']) ? spec['components'] : {};
  const deployment = spec['deploymentSpec'];
  const executors =
    isObj(deployment) && isObj(deployment['executors']) ? deployment['executors'] : {};

  for (const name of Object.keys(components))
    if (!KFP_NAME.test(name)) bad(`components.${name}`, 'is not a sanitised KFP name');
  for (const [label, executor] of Object.entries(executors)) {
    const where = `deploymentSpec.executors.${label}`;
    if (!KFP_NAME.test(label)) bad(where, 'is not a sanitised KFP name');
    if (!isObj(executor)) {
      bad(where, 'must be a mapping');
      continue;
    }
    const kinds = Object.keys(executor).filter((k) => EXECUTOR_KINDS.includes(k));
    if (kinds.length !== 1 || Object.keys(executor).length !== 1)
      bad(where, 'must hold exactly one of container, importer, resolver');
    const container = executor['container'];
    if (container !== undefined && fields(`${where}.container`, container, CONTAINER_FIELDS)) {
      if (typeof container['image'] !== 'string' || container['image'] === '')
        bad(`${where}.container.image`, 'is required');
      for (const list of ['command', 'args']) {
        const value = container[list];
        if (
          value !== undefined &&
          (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        ) {
          bad(`${where}.container.${list}`, 'must be a list of strings');
        }
      }
    }
  }

  const inputParams = (component: Obj): Obj => {
    const defs = component['inputDefinitions'];
    return isObj(defs) && isObj(defs['parameters']) ? defs['parameters'] : {};
  };
  const checkComponent = (where: string, component: unknown): void => {
    if (!fields(where, component, COMPONENT_FIELDS)) return;
    const hasDag = component['dag'] !== undefined;
    const label = component['executorLabel'];
    if (hasDag === (label !== undefined))
      bad(where, 'must have exactly one of dag and executorLabel');
    for (const [name, param] of Object.entries(inputParams(component))) {
      if (!isObj(param) || !PARAMETER_TYPES.includes(String(param['parameterType']))) {
        bad(`${where}.inputDefinitions.parameters.${name}`, 'needs a parameterType');
      }
    }
    if (typeof label === 'string') {
      const executor = executors[label];
      if (!isObj(executor)) bad(`${where}.executorLabel`, `names no executor '${label}'`);
      else if (isObj(executor['container'])) {
        const text = JSON.stringify(executor['container']);
        for (const match of text.matchAll(/\{\{\$\.inputs\.parameters\[\\?'([^'\\]+)\\?'\]\}\}/g)) {
          // The SDK passes pipeline channels (e.g. resource limits) without declaring them.
          const used = match[1] as string;
          if (
            !used.startsWith('pipelinechannel--') &&
            !Object.hasOwn(inputParams(component), used)
          ) {
            bad(`${where}`, `its executor uses the input '${match[1]}', which it does not declare`);
          }
        }
      }
    }
    if (hasDag) {
      const dag = component['dag'];
      if (!fields(`${where}.dag`, dag, ['tasks', 'outputs'])) return;
      const tasks = isObj(dag['tasks']) ? dag['tasks'] : {};
      for (const [name, task] of Object.entries(tasks)) {
        const at = `${where}.dag.tasks.${name}`;
        if (!KFP_NAME.test(name)) bad(at, 'is not a sanitised KFP name');
        if (!fields(at, task, TASK_FIELDS)) continue;
        const ref = task['componentRef'];
        const refName = isObj(ref) ? ref['name'] : undefined;
        const target = typeof refName === 'string' ? components[refName] : undefined;
        if (!isObj(target)) bad(`${at}.componentRef`, `names no component '${String(refName)}'`);
        const deps = task['dependentTasks'];
        if (deps !== undefined) {
          if (!Array.isArray(deps)) bad(`${at}.dependentTasks`, 'must be a list');
          else
            for (const dep of deps)
              if (!Object.hasOwn(tasks, String(dep)))
                bad(`${at}.dependentTasks`, `names no task '${String(dep)}'`);
        }
        const caching = task['cachingOptions'];
        if (caching !== undefined)
          fields(`${at}.cachingOptions`, caching, ['enableCache', 'cacheKey']);
      }
      const cycle = dependencyCycle(tasks);
      if (cycle !== undefined) bad(`${where}.dag.tasks`, `dependentTasks form a cycle: ${cycle}`);
    }
  };
  for (const [name, component] of Object.entries(components))
    checkComponent(`components.${name}`, component);
  if (spec['root'] === undefined) bad('root', 'is required');
  else checkComponent('root', spec['root']);
  return problems;
}

/** A cycle among the tasks' dependentTasks, as 'a -> b -> a', or undefined. */
function dependencyCycle(tasks: Obj): string | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name].join(' -> ');
    state.set(name, 'open');
    path.push(name);
    const task = tasks[name];
    const deps = isObj(task) && Array.isArray(task['dependentTasks']) ? task['dependentTasks'] : [];
    for (const dep of deps) {
      if (typeof dep !== 'string' || !Object.hasOwn(tasks, dep)) continue;
      const found = visit(dep);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(tasks)) {
    const found = visit(name);
    if (found !== undefined) return found;
  }
  return undefined;
}
