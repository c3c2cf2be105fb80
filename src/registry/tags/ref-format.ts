/**
 * git's rules for reference names (`git check-ref-format`), checked in code so that a bad
 * name is refused with a clear message before git is ever called.
 */

/**
 * Returns why `refname` (a full name such as `refs/tags/churn@v1.0.0`) is not a valid git
 * reference name, or undefined when it is valid.
 */
export function refNameProblem(refname: string): string | undefined {
  if (refname === '@') return "it is '@'";
  if (refname.startsWith('/') || refname.endsWith('/')) return "it begins or ends with '/'";
  if (refname.endsWith('.')) return "it ends with '.'";
  if (refname.includes('..')) return "it contains '..'";
  if (refname.includes('@{')) return "it contains '@{'";
  for (const ch of refname) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return 'it contains a control character';
    if (' ~^:?*[\\'.includes(ch)) return `it contains '${ch}'`;
  }
  for (const component of refname.split('/')) {
    if (component === '') return "it contains '//'";
    if (component.startsWith('.')) return `its part '${component}' begins with '.'`;
    if (component.endsWith('.lock')) return `its part '${component}' ends with '.lock'`;
  }
  return undefined;
}

// One pass for the common case; refNameProblem explains a failure.
// eslint-disable-next-line no-control-regex -- git forbids control characters in refs
const BAD_REF = /[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\/\.|\.lock(?:\/|$)|^[/.]|[/.]$|^@$/;

/** True when `git check-ref-format` would accept `refname`. */
export function isValidRefName(refname: string): boolean {
  return !BAD_REF.test(refname);
}
