import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../src/github/github-client.js';
import { bufferAsset, ReleaseClient } from '../../../src/registry/releases/release-client.js';
import { ReleasePublishError } from '../../../src/registry/releases/release-errors.js';
import { publishRelease } from '../../../src/registry/releases/release-publisher.js';
import { MODEL_CARD_MARKER } from '../../../src/registry/releases/model-card.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';

const owner = 'acme';
const repo = 'ml';
const UPLOAD = 'POST /repos/{owner}/{repo}/releases/{release_id}/assets';
let gh: GitHubEmulator;

beforeEach(async () => {
  gh = await startGitHubEmulator();
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

function releases(fetchImpl?: typeof fetch): ReleaseClient {
  const client = createGitHubClient({
    token: TEST_TOKENS.user,
    baseUrl: gh.url,
    env: {},
    timeUnitMs: 1,
    minWriteIntervalMs: 0,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
  return new ReleaseClient(
    { client, repo: { owner, repo }, serverUrl: gh.webUrl },
    { sleep: async () => {} },
  );
}

const model = Buffer.from('model bytes \u0000\u0001\u0002'.repeat(100));
const labels = Buffer.from('setosa\nversicolor\nvirginica\n');
const content = {
  name: 'iris@v1.0.0',
  body: `${MODEL_CARD_MARKER}\n# iris v1.0.0\n`,
  assets: [bufferAsset('model.pkl', model), bufferAsset('labels.txt', labels)],
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('publishRelease', () => {
  it('creates a draft, uploads every asset to the uploads host, then publishes', async () => {
    const client = releases();
    const result = await publishRelease(client, 'iris@v1.0.0', content);

    expect(result.created).toBe(true);
    const [release] = gh.state.releasesOf({ owner, repo });
    expect(release).toMatchObject({ tagName: 'iris@v1.0.0', draft: false, name: 'iris@v1.0.0' });
    expect(release?.body).toBe(content.body);
    const assets = gh.state.assetsOf(release!.id);
    expect(assets.map((a) => [a.name, a.data])).toEqual([
      ['model.pkl', model],
      ['labels.txt', labels],
    ]);
    const create = gh.requests.entries.find((r) => r.operationId === 'repos/create-release');
    expect(create?.body).toMatchObject({ draft: true });
    expect(gh.requests.count('PATCH /repos/{owner}/{repo}/releases/{release_id}')).toBe(1);

    // The release asset API (octet-stream, redirect followed) gives the bytes back.
    const found = await client.findByTag('iris@v1.0.0');
    const asset = found?.assets.find((a) => a.name === 'model.pkl');
    expect(await readAll(await client.downloadAsset(asset!.id))).toEqual(model);
  });

  it('retries an upload that fails, and finishes the release', async () => {
    gh.faults.next({ route: UPLOAD, status: 502, times: 2 });
    await publishRelease(releases(), 'iris@v1.0.0', content);

    const [release] = gh.state.releasesOf({ owner, repo });
    expect(release?.draft).toBe(false);
    expect(gh.state.assetsOf(release!.id).map((a) => a.name)).toEqual(['model.pkl', 'labels.txt']);
    expect(gh.requests.count(UPLOAD)).toBe(4);
  });

  it('deletes a partial asset of the same name before retrying', async () => {
    let broken = 0;
    // The server stores the first upload, but the connection drops before the answer arrives.
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (init?.method === 'POST' && url.startsWith(gh.uploadUrl) && broken === 0) {
        broken++;
        await response.arrayBuffer();
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      return response;
    };
    await publishRelease(releases(flaky), 'iris@v1.0.0', content);

    const [release] = gh.state.releasesOf({ owner, repo });
    expect(gh.state.assetsOf(release!.id).map((a) => a.name)).toEqual(['model.pkl', 'labels.txt']);
    expect(gh.requests.count('DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}')).toBe(1);
    expect(release?.draft).toBe(false);
  });

  it('leaves no half-made release when uploads keep failing', async () => {
    gh.faults.next({ route: UPLOAD, status: 500, times: 50 });
    const error = await publishRelease(releases(), 'iris@v1.0.0', content).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReleasePublishError);
    const publishError = error as ReleasePublishError;
    expect(publishError.cleanedUp).toBe(true);
    expect(publishError.message).toContain("'iris@v1.0.0'");
    expect(publishError.message).toContain('The tag exists');
    expect(publishError.hint).toBe('Retry with: ghml model release iris@v1.0.0');
    expect(gh.state.releasesOf({ owner, repo })).toEqual([]);
    expect(gh.state.releaseAssets).toEqual([]);
    expect(gh.requests.count(UPLOAD)).toBe(3);
    gh.faults.clear();
  });

  it('completes a release made in the web UI, keeping its text, and never deletes it', async () => {
    const client = releases();
    const draft = await client.createDraft('iris@v1.0.0', 'Iris 1.0', 'Written by a person.');
    await client.update(draft.id, { draft: false });
    await publishRelease(client, 'iris@v1.0.0', content);

    const [release] = gh.state.releasesOf({ owner, repo });
    expect(release?.body).toBe(`Written by a person.\n\n${content.body}`);
    expect(gh.state.assetsOf(release!.id)).toHaveLength(2);

    // Again (e.g. a retry): assets are replaced and the card is not repeated.
    await publishRelease(client, 'iris@v1.0.0', content);
    expect(gh.state.releasesOf({ owner, repo })[0]?.body).toBe(
      `Written by a person.\n\n${content.body}`,
    );
    expect(gh.state.assetsOf(release!.id).map((a) => a.name)).toEqual(['model.pkl', 'labels.txt']);

    gh.faults.next({ route: UPLOAD, status: 500, times: 50 });
    const error = await publishRelease(client, 'iris@v1.0.0', content).catch((e: unknown) => e);
    gh.faults.clear();
    expect(error).toBeInstanceOf(ReleasePublishError);
    expect(gh.state.releasesOf({ owner, repo })).toHaveLength(1);
  });
});
