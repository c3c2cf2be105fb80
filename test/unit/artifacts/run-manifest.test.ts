import { describe, expect, it } from 'vitest';
import { artifactPathProblem, resolveInside } from '../../../src/artifacts/artifact-path.js';
import { UnsafeArtifactPathError } from '../../../src/artifacts/artifact-errors.js';
import { InvalidManifestError } from '../../../src/artifacts/oci/oci-errors.js';
import {
  formatRunManifest,
  manifestDigestOf,
  parseRunManifest,
  type RunManifest,
} from '../../../src/artifacts/oci/run-manifest.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const manifest: RunManifest = {
  runId: '01J0000000000000000000AAAA',
  experiment: 'iris',
  files: [
    { path: 'model/weights.bin', sha256: A, size: 10 },
    { path: 'labels.txt', sha256: B, size: 3 },
  ],
  created: '2026-01-02T03:04:05Z',
  revision: 'c0ffee',
  source: 'https://github.com/acme/iris',
};

describe('run manifests', () => {
  it('formats a deterministic OCI manifest: files in path order, the empty config, ghml annotations', () => {
    const bytes = formatRunManifest(manifest);
    expect(JSON.parse(bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.ghml.run.v1',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
        data: 'e30=',
      },
      layers: [
        {
          mediaType: 'application/octet-stream',
          digest: `sha256:${B}`,
          size: 3,
          annotations: { 'org.opencontainers.image.title': 'labels.txt' },
        },
        {
          mediaType: 'application/octet-stream',
          digest: `sha256:${A}`,
          size: 10,
          annotations: { 'org.opencontainers.image.title': 'model/weights.bin' },
        },
      ],
      annotations: {
        'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
        'org.opencontainers.image.revision': 'c0ffee',
        'org.opencontainers.image.source': 'https://github.com/acme/iris',
        'vnd.ghml.experiment': 'iris',
        'vnd.ghml.run.id': '01J0000000000000000000AAAA',
      },
    });
    // Same run, files in another order: same bytes, same digest.
    const shuffled = formatRunManifest({ ...manifest, files: [...manifest.files].reverse() });
    expect(manifestDigestOf(shuffled)).toBe(manifestDigestOf(bytes));
  });

  it('parses back what it wrote, and formatting that gives the exact bytes', () => {
    const bytes = formatRunManifest(manifest);
    const parsed = parseRunManifest(bytes, 'test');
    expect(parsed.files.map((f) => f.path)).toEqual(['labels.txt', 'model/weights.bin']);
    expect(parsed.source).toBe('https://github.com/acme/iris');
    expect(formatRunManifest(parsed).equals(bytes)).toBe(true);
    const bare = formatRunManifest({ runId: 'R1', experiment: 'e', files: [] });
    expect(formatRunManifest(parseRunManifest(bare, 'test')).equals(bare)).toBe(true);
  });

  const mutate = (change: (json: Record<string, unknown>) => void): Buffer => {
    const json = JSON.parse(formatRunManifest(manifest).toString()) as Record<string, unknown>;
    change(json);
    return Buffer.from(JSON.stringify(json));
  };
  const layer0 = (json: Record<string, unknown>): Record<string, unknown> =>
    (json['layers'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;

  it.each([
    ['not JSON', Buffer.from('{'), 'it is not JSON'],
    [
      'another artifact type',
      mutate((j) => (j['artifactType'] = 'application/vnd.cncf.helm.config.v1+json')),
      "artifactType is 'application/vnd.cncf.helm.config.v1+json'",
    ],
    ['a docker image', mutate((j) => delete j['artifactType']), 'artifactType is missing'],
    ['no run id', mutate((j) => (j['annotations'] = {})), 'no vnd.ghml.run.id'],
    [
      'a .. title',
      mutate(
        (j) =>
          (layer0(j)['annotations'] = { 'org.opencontainers.image.title': '../../etc/cron.d/x' }),
      ),
      "contains a '..' segment",
    ],
    [
      'an absolute title',
      mutate(
        (j) => (layer0(j)['annotations'] = { 'org.opencontainers.image.title': '/etc/passwd' }),
      ),
      'is absolute',
    ],
    [
      'no title',
      mutate((j) => (layer0(j)['annotations'] = {})),
      'has no org.opencontainers.image.title',
    ],
    [
      'a sha512 digest',
      mutate((j) => (layer0(j)['digest'] = `sha512:${'c'.repeat(128)}`)),
      'not sha256',
    ],
    ['a negative size', mutate((j) => (layer0(j)['size'] = -1)), 'no valid size'],
    [
      'a repeated path',
      mutate((j) => ((j['layers'] as unknown[])[1] = layer0(j))),
      'appears twice',
    ],
  ])('refuses %s with InvalidManifestError', (_name, bytes, problem) => {
    expect(() => parseRunManifest(bytes, 'reg/acme/runs:R')).toThrow(InvalidManifestError);
    expect(() => parseRunManifest(bytes, 'reg/acme/runs:R')).toThrow(problem);
  });
});

describe('artifact paths', () => {
  it.each([
    ['model.pkl', undefined],
    ['a/b/c.bin', undefined],
    ['.hidden/x', undefined],
    ['', 'is empty'],
    ['../x', "contains a '..' segment"],
    ['a/../../x', "contains a '..' segment"],
    ['./x', "contains a '.' segment"],
    ['/etc/passwd', 'is absolute'],
    ['C:/Windows', 'is absolute'],
    ['a\\..\\b', "contains '\\'"],
    ['a//b', "contains an empty segment (a leading, trailing or double '/')"],
    ['a/', "contains an empty segment (a leading, trailing or double '/')"],
    ['a\u0000b', 'contains a control character'],
    ['x'.repeat(1025), 'is longer than 1024 characters'],
  ])('%#: %s', (path, problem) => {
    expect(artifactPathProblem(path)).toBe(problem);
  });

  it('joins only paths that stay inside the folder', () => {
    expect(resolveInside('/tmp/out', 'a/b.txt', 'test')).toBe('/tmp/out/a/b.txt');
    expect(() => resolveInside('/tmp/out', '../b.txt', 'run R')).toThrow(UnsafeArtifactPathError);
    expect(() => resolveInside('/tmp/out', '../b.txt', 'run R')).toThrow(
      "run R: the artifact path '../b.txt' contains a '..' segment.",
    );
  });
});
