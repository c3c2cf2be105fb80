/**
 * What the package declares holds: the Node.js versions it supports (every runtime dependency
 * allows the declared minimum, the README says the same, and the built bundles start on it),
 * the runtime dependencies it declares are the ones src imports, and the license file is the
 * one package.json names.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string;
  engines: { node: string };
  dependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** The lowest Node.js version `>=X[.Y[.Z]]` allows. */
const MINIMUM = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node)?.[1];

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [a = 0, b = 0, c = 0] = text
    .replace(/\.x/g, '')
    .split('.')
    .map((part) => Number(part));
  return [a, b, c];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies an npm engines range (the forms the lock file uses). */
export function satisfies(version: Version, range: string): boolean {
  if (range.trim() === '*' || range.trim() === '') return true;
  return range.split('||').some((alternative) => {
    const parts = alternative
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/);
    return parts.every((part) => {
      const match = /^(>=|<=|>|<|\^|~|=)?v?(\d+(?:\.(?:\d+|x)){0,2})$/.exec(part);
      if (!match) throw new Error(`unsupported engines range '${range}'`);
      const [, op = '', text = ''] = match;
      const bound = parseVersion(text);
      const digits = text.replace(/\.x/g, '').split('.').length;
      const c = compare(version, bound);
      switch (op) {
        case '>=':
          return c >= 0;
        case '>':
          return c > 0;
        case '<=':
          return c <= 0;
        case '<':
          return c < 0;
        case '^':
          return c >= 0 && version[0] === bound[0];
        case '~':
          return c >= 0 && version[0] === bound[0] && version[1] === bound[1];
        default:
          // A bare version: the parts given must match (`20` is any 20.x).
          return version.slice(0, digits).every((n, i) => n === bound[i]);
      }
    });
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('Node.js versions', () => {
  it('are declared as a minimum: engines.node is >=N', () => {
    expect(MINIMUM).toBeDefined();
  });

  it('every runtime dependency in the lock file allows the declared minimum', () => {
    const minimum = parseVersion(MINIMUM ?? '');
    const refusing = Object.entries(lock.packages)
      .filter(([path, meta]) => path !== '' && !meta.dev)
      .flatMap(([path, meta]) => {
        const range = Array.isArray(meta.engines) ? undefined : meta.engines?.node;
        return range === undefined || satisfies(minimum, range) ? [] : [`${path}: node ${range}`];
      });
    expect(refusing).toEqual([]);
  });

  it('the range check reads the forms the lock file uses', () => {
    expect(satisfies([20, 0, 0], '>=22')).toBe(false);
    expect(satisfies([20, 0, 0], '>= 18')).toBe(true);
    expect(satisfies([20, 0, 0], '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(false);
    expect(satisfies([20, 9, 0], '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true);
    expect(satisfies([20, 0, 0], '20 || >=22')).toBe(true);
    expect(satisfies([20, 0, 0], '>=16 || 14 >=14.17')).toBe(true);
    expect(satisfies([20, 0, 0], '>=0.6.11 <=0.7.0 || >=0.7.3')).toBe(true);
  });

  it('the README says the same minimum', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ${MINIMUM} or newer`);
  });

  const major = Number(process.versions.node.split('.')[0]);
  it.runIf(String(major) === MINIMUM)(
    'the built bundles start on the declared minimum (this machine runs it)',
    () => {
      const cli = spawnSync(process.execPath, ['dist/cli.js', '--version'], { encoding: 'utf8' });
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const action = spawnSync(process.execPath, ['dist/action.js'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, INPUT_COMMAND: 'nope' },
      });
      // It started, read its inputs and refused the command with the action's own error.
      expect(action.stdout).toContain("Unknown command 'nope'");
      expect(action.status).toBe(1);
    },
  );
});

describe("the README's performance table", () => {
  it('states the bundle sizes of the built dist/ (within 10%), so they cannot go stale', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| bundle sizes'));
    const stated = [...(row ?? '').matchAll(/([\d.]+) KiB/g)].map((m) => Number(m[1]));
    // The CLI and the action share one build, split into chunks each command loads.
    const files = [
      'dist/cli.js',
      'dist/action.js',
      ...readdirSync(join(ROOT, 'dist', 'chunks')).map((f) => `dist/chunks/${f}`),
    ];
    const all = Buffer.concat(files.map((file) => readFileSync(join(ROOT, file))));
    const actual = [all.length / 1024, gzipSync(all).length / 1024];
    expect(stated).toHaveLength(2);
    const off = actual.flatMap((kib, i) => {
      const said = stated[i] ?? 0;
      return Math.abs(said - kib) / kib <= 0.1
        ? []
        : [
            `README says ${said} KiB, the build is ${kib.toFixed(0)} KiB (npm run build, then update the row)`,
          ];
    });
    expect(off).toEqual([]);
  });
});

describe('declared packages', () => {
  it('every runtime dependency is imported by src, so nothing unused is installed', () => {
    const imports = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^'.][^']*)'/g)].map((m) => m[1] ?? ''),
    );
    const unused = Object.keys(pkg.dependencies).filter(
      (name) => !imports.some((spec) => spec === name || spec.startsWith(`${name}/`)),
    );
    expect(unused).toEqual([]);
    expect(Object.keys(pkg.dependencies)).not.toContain('zod');
  });

  it('LICENSE holds the license package.json names, and a CHANGELOG exists', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4}/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toMatch(/^# Changelog/);
  });
});
