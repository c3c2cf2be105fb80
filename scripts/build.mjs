// Bundles the CLI and the action into dist/, and the report site's page into dist/site/. Both are ESM for Node 20+ (GitHub runs node24).
import { readFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { buildSiteBundle } from './site-bundle.mjs';

// CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
const banner = {
  js: "import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);",
};

const version = JSON.parse(await readFile('package.json', 'utf8')).version;

const common = {
  define: { GHML_VERSION: JSON.stringify(version) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner,
  legalComments: 'none',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  // See scripts/bundle-stubs/undici.mjs.
  alias: { undici: './scripts/bundle-stubs/undici.mjs' },
};

// One build of both entry points, split at each dynamic import(): a command's code is a chunk
// loaded when the command runs, and code the CLI and the action share is one chunk.
await rm('dist/chunks', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', action: 'src/action/main.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
// The report site's page, copied by `ghml report build` and served by `ghml ui`.
await buildSiteBundle('dist/site');
