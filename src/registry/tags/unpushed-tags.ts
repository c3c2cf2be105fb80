/**
 * Registry tags made while offline (or whose push failed) that the remote does not have:
 * `ghml push` sends them, never overwriting a remote tag. A tag the remote already holds with
 * another object is a conflict to report, not to force.
 */
import type { Git } from '../../git/git.js';
import { stripTerminalEscapes } from '../../text/plain-text.js';
import { TagName } from './tag-name.js';

export interface TagPushReport {
  pushed: string[];
  refused: Array<{ tag: string; reason: string }>;
}

/** Local registry tags (GTO grammar) that `remote` lacks. */
export async function unpushedRegistryTags(git: Git, remote: string): Promise<string[]> {
  const local = await git.forEachRef('refs/tags', ['refname:strip=2']);
  const names = local
    .map((row) => row['refname:strip=2'] ?? '')
    .filter((name) => TagName.parse(name) !== undefined);
  if (names.length === 0) return [];
  const listing = await git.exec(['ls-remote', '--tags', '--refs', remote]);
  const remote_ = new Set(
    listing
      .split('\n')
      .map((line) => line.split('\t')[1] ?? '')
      .filter((ref) => ref.startsWith('refs/tags/'))
      .map((ref) => ref.slice('refs/tags/'.length)),
  );
  return names.filter((name) => !remote_.has(name)).sort();
}

/** Pushes the registry tags `remote` lacks, one ref each, without force. */
export async function pushUnpushedRegistryTags(git: Git, remote: string): Promise<TagPushReport> {
  const tags = await unpushedRegistryTags(git, remote);
  if (tags.length === 0) return { pushed: [], refused: [] };
  const args = ['push', '--porcelain', '--no-verify', remote];
  for (const tag of tags) args.push(`refs/tags/${tag}:refs/tags/${tag}`);
  const result = await git.tryExec(args);
  const refused = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [flag, spec = '', reason = ''] = line.split('\t');
    if (flag !== '!') continue;
    const tag =
      spec
        .split(':')
        .pop()
        ?.replace(/^refs\/tags\//, '') ?? '';
    refused.set(tag, stripTerminalEscapes(reason).trim() || 'refused');
  }
  if (result.exitCode !== 0 && refused.size === 0) {
    const reason = stripTerminalEscapes(result.stderr).trim() || 'git push failed';
    return { pushed: [], refused: tags.map((tag) => ({ tag, reason })) };
  }
  return {
    pushed: tags.filter((t) => !refused.has(t)),
    refused: [...refused].map(([tag, reason]) => ({ tag, reason })),
  };
}
