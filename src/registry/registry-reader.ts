/**
 * Reads every registry tag with ONE `git for-each-ref` call and builds the registry state.
 * The patterns select only tags whose last path part holds '@' or '#', so unrelated tags cost
 * nothing beyond the ref listing.
 */
import type { GitRunner } from '../git/git-runner.js';
import { RegistryReadError } from './registry-errors.js';
import { buildRegistryState } from './registry-state.js';
import type { BuildOptions, RegistryState, TagRecord } from './registry-state.js';

const FIELDS = [
  '%(refname)',
  '%(objecttype)',
  '%(objectname)',
  '%(*objecttype)',
  '%(*objectname)',
  '%(taggername)',
  '%(taggeremail)',
  '%(taggerdate:unix)',
  '%(creatordate:unix)',
  '%(contents)',
] as const;

/** NUL cannot appear in a ref name or (through `git tag`) in a tag message. */
const FORMAT = `${FIELDS.join('%00')}%00`;
const PATTERNS = ['refs/tags/*[@#]*', 'refs/tags/**/*[@#]*'];

/** The arguments of the one git call that lists the registry. */
export const FOR_EACH_REF_ARGS: readonly string[] = [
  'for-each-ref',
  `--format=${FORMAT}`,
  ...PATTERNS,
];

/** Reads all registry tags of the repository. */
export async function readTagRecords(git: GitRunner): Promise<TagRecord[]> {
  return parseForEachRef(await git.exec(FOR_EACH_REF_ARGS));
}

/** Reads the registry: one for-each-ref call, then the rules of registry-state.ts. */
export async function readRegistry(
  git: GitRunner,
  options: BuildOptions = {},
): Promise<RegistryState> {
  return buildRegistryState(await readTagRecords(git), options);
}

/** Parses the output of FOR_EACH_REF_ARGS. Exported for tests and benchmarks. */
export function parseForEachRef(output: string): TagRecord[] {
  const parts = output.split('\u0000');
  const records: TagRecord[] = [];
  const n = FIELDS.length;
  // Each record is n fields, each followed by NUL; git ends every record with '\n'.
  for (let i = 0; i + n <= parts.length; i += n) {
    const refname = (parts[i] ?? '').replace(/^\n/, '');
    if (!refname.startsWith('refs/tags/')) {
      throw new RegistryReadError(`unexpected record starting with '${refname.slice(0, 80)}'`);
    }
    const [
      objectType,
      objectName,
      peeledType,
      peeledName,
      taggerName,
      taggerEmail,
      taggerDate,
      creatorDate,
      contents,
    ] = parts.slice(i + 1, i + n);
    const annotated = objectType === 'tag';
    let commit = '';
    if (annotated) commit = peeledType === 'commit' ? (peeledName ?? '') : '';
    else commit = objectType === 'commit' ? (objectName ?? '') : '';
    records.push({
      tag: refname.slice('refs/tags/'.length),
      annotated,
      commit,
      object: objectName ?? '',
      taggerName: annotated ? (taggerName ?? null) : null,
      taggerEmail: annotated ? stripAngles(taggerEmail ?? '') : null,
      date: Number(annotated ? taggerDate : creatorDate) || 0,
      message: annotated ? (contents ?? '') : '',
    });
  }
  const rest = parts.length % n;
  if (rest !== 1 || (parts[parts.length - 1] ?? '').trim() !== '') {
    throw new RegistryReadError('the output does not split into whole records');
  }
  return records;
}

function stripAngles(email: string): string {
  return email.startsWith('<') && email.endsWith('>') ? email.slice(1, -1) : email;
}
