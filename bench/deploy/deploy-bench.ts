/**
 * ghml's own deploy overhead: resolve the version through the registry and render the
 * manifests (exactly what `ghml deploy --dry-run` does; a real deploy adds only kubectl and the
 * cluster). Target: under 200 ms. Measured against two baselines on the same machine, so the
 * ratios travel between machines: one bare `git for-each-ref refs/tags` (the registry read's
 * floor) and one `kubectl version --client` (the cheapest kubectl call a deploy makes, several
 * of which follow).
 *
 *   npx tsx bench/deploy/deploy-bench.ts                       (defaults)
 *   npx tsx bench/deploy/deploy-bench.ts --versions 200 --other-tags 5000 --samples 20
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfigFor } from '../../src/config/find-config.js';
import { planDeploy } from '../../src/deploy/deploy-plan.js';
import { createGit } from '../../src/git/git.js';
import { RegistryService } from '../../src/registry/registry-service.js';
import { formatTagMessage } from '../../src/registry/tags/tag-message.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

const VERSIONS = flag('versions', 100);
const OTHER_TAGS = flag('other-tags', 2000);
const SAMPLES = flag('samples', 15);
const BUDGET_MS = 200;

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, input, encoding: 'utf8', env: ENV, maxBuffer: 1 << 28 });
}

/** A repository with VERSIONS registered versions of iris, a prod assignment and OTHER_TAGS unrelated tags. */
function buildRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ghml-deploy-bench-'));
  git(dir, ['init', '-q', '-b', 'main']);
  const lines: string[] = [];
  const date = 1_700_000_000;
  for (let i = 1; i <= VERSIONS; i++) {
    lines.push(
      'commit refs/heads/main',
      `mark :${i}`,
      `committer Bench <b@e.com> ${date + i} +0000`,
      'data 2',
      `c${i % 10}`,
    );
    lines.push('M 644 inline model.txt', `data ${String(i).length}`, String(i), '');
  }
  const tag = (name: string, mark: number, when: number, message: string): void => {
    lines.push(
      `tag ${name}`,
      `from :${mark}`,
      `tagger Bench <b@e.com> ${when} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
    );
  };
  for (let i = 1; i <= VERSIONS; i++) {
    tag(
      `iris@v1.0.${i}`,
      i,
      date + 10_000 + i,
      formatTagMessage(`Register iris v1.0.${i}`, {
        runId: `RUN${i}`,
        artifacts: [
          {
            uri: `https://github.com/acme/iris/releases/download/iris%40v1.0.${i}/model.pkl`,
            sha256: 'a'.repeat(64),
            size: 1000,
          },
        ],
      }),
    );
  }
  tag(
    `iris#prod#1`,
    VERSIONS,
    date + 50_000,
    formatTagMessage('Promote', { version: `v1.0.${VERSIONS}`, stage: 'prod' }),
  );
  for (let i = 0; i < OTHER_TAGS; i++) tag(`release-${i}`, 1 + (i % VERSIONS), date + i, 'other\n');
  git(dir, ['fast-import', '--quiet'], `${lines.join('\n')}\n`);
  git(dir, ['pack-refs', '--all']);
  return dir;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const repo = buildRepo();
try {
  const gitDoor = await createGit(repo, { env: ENV });
  const config = await loadConfigFor(repo, repo);
  const rows: string[] = [];
  const baselineGit: number[] = [];
  for (let i = 0; i < SAMPLES; i++)
    baselineGit.push(await time(() => git(repo, ['for-each-ref', 'refs/tags'])));
  const kubectl: number[] = [];
  const hasKubectl =
    spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  if (hasKubectl) {
    for (let i = 0; i < SAMPLES; i++)
      kubectl.push(
        await time(() => spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' })),
      );
  }
  const gitMs = median(baselineGit);
  const kubectlMs = hasKubectl ? median(kubectl) : Number.NaN;
  let worst = 0;
  for (const templates of ['deployment', 'kserve']) {
    const cfg = {
      ...config,
      deploy: { '*': { templates, namespace: null, context: null, image: null } },
    };
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES + 1; i++) {
      // A fresh service each time, as each `ghml deploy` process starts with one.
      const registry = new RegistryService({ git: gitDoor, fetch: false });
      const ms = await time(() =>
        planDeploy({ model: 'iris', stage: 'prod' }, { config: cfg, repoRoot: repo, registry }),
      );
      if (i > 0) samples.push(ms); // the first warms the module and file caches
    }
    const ms = median(samples);
    worst = Math.max(worst, ms);
    rows.push(
      `| ${templates} | ${ms.toFixed(1)} ms | ${(ms / gitMs).toFixed(2)}× | ${hasKubectl ? `${(ms / kubectlMs).toFixed(2)}×` : 'n/a'} | ${ms < BUDGET_MS ? 'yes' : 'NO'} |`,
    );
  }
  console.log(
    `### ghml deploy: resolve + render (${VERSIONS} versions, ${OTHER_TAGS} other tags, median of ${SAMPLES})\n`,
  );
  console.log(
    `Baselines: git for-each-ref refs/tags ${gitMs.toFixed(1)} ms; kubectl version --client ${hasKubectl ? `${kubectlMs.toFixed(1)} ms` : 'not installed'}.\n`,
  );
  console.log(
    '| templates | resolve + render | ÷ git for-each-ref | ÷ kubectl --client | < 200 ms |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  if (worst >= BUDGET_MS) process.exitCode = 1;
} finally {
  rmSync(repo, { recursive: true, force: true });
}
