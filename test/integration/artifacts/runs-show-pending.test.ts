/**
 * `ghml runs show` and `ghml runs list --json` say when a run's artifacts wait in the local
 * cache for the artifact store (the pending queue), and stop saying it once `ghml push` has
 * uploaded them. The real registry (Debian's docker-registry) is killed and restarted.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { startRegistry } from '../../support/oci-registry/index.js';
import { cleanupTempDirs, git, makeBareRemote, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

interface ShownRun {
  id: string;
  pending: boolean;
  artifacts: Array<{ path: string; stored: boolean; pending?: boolean }>;
}

async function ghml(cwd: string, ...args: string[]) {
  const result = await runGhml(args, { cwd, env: ghmlEnv() });
  return result;
}

describe('runs whose artifacts wait for the store', () => {
  it('are shown as pending by runs show and runs list --json until ghml push uploads them', async () => {
    const registry = await startRegistry();
    try {
      const origin = makeBareRemote();
      const repo = makeRepo();
      writeFileSync(
        join(repo, 'ghml.yml'),
        `artifacts:\n  store: oci://${registry.host}/acme/iris\n  max_file_size: 1KiB\n`,
      );
      git(repo, 'add', 'ghml.yml');
      git(repo, 'commit', '-q', '-m', 'store');
      git(repo, 'remote', 'add', 'origin', `file://${origin}`);
      git(repo, 'push', '-q', 'origin', 'main');
      writeFileSync(join(repo, 'model.bin'), randomBytes(5000));
      writeFileSync(join(repo, 'notes.txt'), 'small\n');

      // A run while the store is up: nothing pending.
      const up = await ghml(
        repo,
        'run',
        '--json',
        '--',
        'sh',
        '-c',
        'cp model.bin notes.txt "$GHML_ARTIFACTS_DIR/"',
      );
      expect(up.code, up.stderr).toBe(0);
      const uploaded = (JSON.parse(up.stdout) as { id: string }).id;
      expect((JSON.parse(up.stdout) as ShownRun).pending).toBe(false);

      await registry.kill();
      writeFileSync(join(repo, 'model.bin'), randomBytes(6000));
      const down = await ghml(
        repo,
        'run',
        '--json',
        '--',
        'sh',
        '-c',
        'cp model.bin notes.txt "$GHML_ARTIFACTS_DIR/"',
      );
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toMatch(/warning: .*ghml push/);
      const waiting = (JSON.parse(down.stdout) as { id: string }).id;
      // ghml run --json says so too, in the same shape as runs show --json.
      const recorded = JSON.parse(down.stdout) as ShownRun;
      expect(recorded.pending).toBe(true);
      expect(recorded.artifacts).toContainEqual(
        expect.objectContaining({ path: 'model.bin', pending: true }),
      );

      const shown = await ghml(repo, 'runs', 'show', waiting, '--json', '--no-fetch');
      expect(shown.code, shown.stderr).toBe(0);
      const run = JSON.parse(shown.stdout) as ShownRun;
      expect(run.pending).toBe(true);
      expect(run.artifacts).toEqual([
        expect.objectContaining({ path: 'model.bin', stored: false, pending: true }),
        expect.not.objectContaining({ pending: expect.anything() }),
      ]);
      expect(run.artifacts[1]?.path).toBe('notes.txt');

      const text = await ghml(repo, 'runs', 'show', waiting, '--no-fetch');
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `^pending: +1 file\\(s\\), .*wait in the local cache for oci://${registry.host}/acme/iris: \`ghml push\` uploads them$`,
          'm',
        ),
      );
      expect(text.stdout).toMatch(/^ +model\.bin .*\(pending upload\)$/m);

      const listed = await ghml(repo, 'runs', 'list', '--json', '--no-fetch');
      expect(listed.code, listed.stderr).toBe(0);
      const byId = new Map((JSON.parse(listed.stdout) as ShownRun[]).map((r) => [r.id, r]));
      expect(byId.get(waiting)?.pending).toBe(true);
      expect(byId.get(uploaded)?.pending).toBe(false);
      expect(byId.get(uploaded)?.artifacts.some((a) => a.pending !== undefined)).toBe(false);
      const before = await ghml(repo, 'runs', 'show', uploaded, '--no-fetch');
      expect(before.stdout).not.toMatch(/^pending:/m);

      await registry.restart();
      const pushed = await ghml(repo, 'push', '--json');
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ artifacts: { uploaded: [waiting] } });

      const after = JSON.parse(
        (await ghml(repo, 'runs', 'show', waiting, '--json', '--no-fetch')).stdout,
      ) as ShownRun;
      expect(after.pending).toBe(false);
      expect(after.artifacts.some((a) => a.pending !== undefined)).toBe(false);
      const afterText = await ghml(repo, 'runs', 'show', waiting, '--no-fetch');
      expect(afterText.stdout).not.toMatch(/^pending:|pending upload/m);
    } finally {
      await registry.stop();
    }
  });
});
