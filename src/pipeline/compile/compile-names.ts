/** Names the compilers derive from stage names: job ids, artifact names, KFP task names. */

/** A GitHub Actions job id: letters, digits, '_' and '-', starting with a letter or '_'. */
export function jobId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return /^[A-Za-z_]/.test(id) ? id : `stage-${id}`;
}

/** A workflow artifact name part (no quotes, colons, slashes, wildcards). */
export function artifactPart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Kubeflow's names: lowercase letters, digits and '-'. */
export function kfpName(name: string): string {
  const out = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out === '' ? 'stage' : out;
}

/** Makes names unique by suffixing -2, -3, ... in order. */
export function uniqueNames(
  names: readonly string[],
  make: (name: string) => string,
): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const name of names) {
    const base = make(name);
    let candidate = base;
    for (let i = 2; used.has(candidate); i++) candidate = `${base}-${i}`;
    used.add(candidate);
    out.set(name, candidate);
  }
  return out;
}
