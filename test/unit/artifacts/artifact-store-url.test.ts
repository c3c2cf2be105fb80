import { describe, expect, it } from 'vitest';
import {
  artifactStoreUrlProblem,
  formatArtifactStoreUrl,
  parseArtifactStoreUrl,
} from '../../../src/config/artifact-store-url.js';
import { ConfigError } from '../../../src/config/config-errors.js';
import { parseConfig } from '../../../src/config/load-config.js';

describe('artifacts.store: parse/format pair', () => {
  it.each([
    ['none', { kind: 'none' }],
    ['oci://ghcr.io/acme/models', { kind: 'oci', registry: 'ghcr.io', prefix: 'acme/models' }],
    ['oci://localhost:5000/a/b', { kind: 'oci', registry: 'localhost:5000', prefix: 'a/b' }],
    ['oci://127.0.0.1:5000', { kind: 'oci', registry: '127.0.0.1:5000', prefix: '' }],
    ['oci://[::1]:5000/x', { kind: 'oci', registry: '[::1]:5000', prefix: 'x' }],
    [
      'oci://registry.example.com/team_a/ml-models.v2',
      { kind: 'oci', registry: 'registry.example.com', prefix: 'team_a/ml-models.v2' },
    ],
  ])('%s parses and formats back exactly', (text, parsed) => {
    expect(parseArtifactStoreUrl(text)).toEqual(parsed);
    expect(formatArtifactStoreUrl(parseArtifactStoreUrl(text) ?? { kind: 'none' })).toBe(text);
  });

  it('formats to a canonical form: lowercase host, no trailing slash', () => {
    const parsed = parseArtifactStoreUrl('oci://GHCR.io/acme/x/');
    expect(parsed).toEqual({ kind: 'oci', registry: 'ghcr.io', prefix: 'acme/x' });
    const text = formatArtifactStoreUrl(parsed ?? { kind: 'none' });
    expect(text).toBe('oci://ghcr.io/acme/x');
    expect(formatArtifactStoreUrl(parseArtifactStoreUrl(text) ?? { kind: 'none' })).toBe(text);
  });

  it.each([
    ['s3://bucket/x', "neither 'none' nor an oci:// URL"],
    ['http://localhost:5000/x', "neither 'none' nor an oci:// URL"],
    ['oci://', 'names no registry'],
    ['oci://user:secret@ghcr.io/x', "'@'"],
    ['oci://ghcr.io/x?token=1', "'?'"],
    ['oci://ghcr.io/Acme/x', 'uppercase'],
    ['oci://ghcr.io/a//b', 'not a repository path'],
    ['oci://ghcr.io/-a', 'not a repository path'],
    ['oci://ghcr.io:99999/a', "port '99999'"],
    ['oci://bad_host/a', "host 'bad_host'"],
    [`oci://ghcr.io/${'a'.repeat(201)}`, 'longer than 200'],
  ])('refuses %s', (text, problem) => {
    expect(parseArtifactStoreUrl(text)).toBeUndefined();
    expect(artifactStoreUrlProblem(text)).toContain(problem);
  });

  it('reports a bad store in ghml.yml with file:line:column and a fix', () => {
    const error = (() => {
      try {
        parseConfig(
          'artifacts:\n  max_file_size: 1MiB\n  store: oci://ghcr.io/Acme/Models\n',
          'ghml.yml',
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "ghml.yml:3:10: artifacts.store must be none or an oci:// URL, got 'oci://ghcr.io/Acme/Models': its repository prefix has uppercase letters",
    );
    expect((error as ConfigError).hint).toBe('write it in lowercase: oci://ghcr.io/acme/models');
    expect(() => parseConfig('artifacts:\n  store: [a]\n', 'ghml.yml')).toThrow(
      /ghml.yml:2:10: artifacts.store/,
    );
  });

  it('keeps the setting absent when ghml.yml does not give it (the environment decides)', () => {
    expect(
      parseConfig('artifacts:\n  max_file_size: 1MiB\n', 'ghml.yml').artifacts.store,
    ).toBeUndefined();
    expect(parseConfig('artifacts:\n  store: none\n', 'ghml.yml').artifacts.store).toEqual({
      kind: 'none',
    });
  });
});
