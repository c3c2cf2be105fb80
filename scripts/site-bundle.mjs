// Bundles the report site's page (web/) into <outdir>: index.html, app.js and app.css, with
// uPlot and the shared src/ modules inlined. Nothing is loaded from another host at run time.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

export async function buildSiteBundle(outdir) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: 'web/src/main.ts' },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    legalComments: 'none',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  await copyFile('web/index.html', join(outdir, 'index.html'));
}
