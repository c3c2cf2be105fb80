/**
 * Name grammars ghml.yml values must follow. Names become path segments, tag parts or git
 * arguments, so they are checked before anything uses them.
 */

/**
 * Experiment names are path segments on the tracking branch; the tracking writer also refuses
 * a '.lock' ending (src/tracking/store/run-path.ts), so the config does too.
 */
export const EXPERIMENT_NAME = /^(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Model names, as in GTO's tag grammar. */
export const MODEL_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9\-/_]*[a-zA-Z0-9])?$/;
/** Stage names: the model grammar without '/'. */
export const STAGE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9\-_]*[a-zA-Z0-9])?$/;
/** Metric, param and tag keys (MLflow's grammar). */
export const METRIC_KEY = /^[A-Za-z0-9_.\- /]{1,250}$/;
/** Kubernetes namespaces are DNS-1123 labels. */
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** How to write a namespace, for errors. */
export const NAMESPACE_FIX =
  "use up to 63 lowercase letters, digits or '-', starting and ending with a letter or digit";
/** How to write a kubectl context, for errors. */
export const CONTEXT_FIX = 'write a context name from kubectl config get-contexts';
const MAX_ARGUMENT = 1000;

/**
 * Why a kubectl context (or image) name cannot be passed to kubectl as an argument, or
 * undefined when it can: no option look-alikes, no whitespace, not empty, not huge.
 */
export function kubectlArgumentProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.startsWith('-')) return "it starts with '-'";
  if (/\s/.test(value)) return 'it contains whitespace';
  if (value.length > MAX_ARGUMENT) return `it is over ${MAX_ARGUMENT} characters`;
  return undefined;
}

// eslint-disable-next-line no-control-regex
const REF_FORBIDDEN = /[\x00-\x20\x7f~^:?*[\\]/;

/**
 * Checks a name against git's check-ref-format rules for `refs/heads/<name>`, implemented here
 * rather than by running git. Returns why the name is invalid, or undefined when it is valid.
 */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '@') return "it is the single character '@'";
  if (name.startsWith('-')) return "it starts with '-'";
  const bad = REF_FORBIDDEN.exec(name);
  if (bad) {
    const ch = bad[0];
    const shown =
      ch === ' ' ? 'a space' : ch < ' ' || ch === '\x7f' ? 'a control character' : `'${ch}'`;
    return `it contains ${shown}`;
  }
  if (name.includes('..')) return "it contains '..'";
  if (name.includes('@{')) return "it contains '@{'";
  if (name.startsWith('/') || name.endsWith('/')) return "it starts or ends with '/'";
  if (name.includes('//')) return "it contains '//'";
  if (name.endsWith('.')) return "it ends with '.'";
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `its part '${component}' starts with '.'`;
    if (component.endsWith('.lock')) return `its part '${component}' ends with '.lock'`;
  }
  return undefined;
}

/** Like `refNameProblem`, plus the rules git adds for branch names. */
export function branchNameProblem(name: string): string | undefined {
  if (name === 'HEAD') return "'HEAD' is reserved";
  return refNameProblem(name);
}

/**
 * Problem with a relative path read from ghml.yml (params files, model files, templates). The
 * file may come from a PR, so absolute paths and '..' are refused: ghml reads only inside the
 * repository.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'it is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'it contains a control character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    return 'it is absolute';
  }
  if (path.split(/[\\/]/).includes('..')) return "it contains '..'";
  return undefined;
}
