/**
 * The page's files (index.html, app.js, app.css), bundled from web/ by `npm run build` into
 * dist/site/ and shipped with the package, so the published CLI writes a site without a build
 * step. They are read only when `ghml report build` or `ghml ui` runs: the CLI bundle itself
 * does not carry them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../package-paths.js';
import { SiteAssetsMissingError } from './site-errors.js';

/** The files of the page, by their path in the site folder. */
export const SITE_ASSET_FILES = ['index.html', 'app.js', 'app.css'] as const;

/** Marker in index.html: a folder holding it is a site ghml wrote (and may overwrite). */
export const SITE_MARKER = '<meta name="generator" content="ghml report" />';

export function siteAssetsDir(): string {
  return join(packageRoot(), 'dist', 'site');
}

export async function readSiteAssets(dir = siteAssetsDir()): Promise<Map<string, Buffer>> {
  const assets = new Map<string, Buffer>();
  for (const name of SITE_ASSET_FILES) {
    try {
      assets.set(name, await readFile(join(dir, name)));
    } catch {
      throw new SiteAssetsMissingError(dir);
    }
  }
  if (!(assets.get('index.html') as Buffer).toString('utf8').includes(SITE_MARKER))
    throw new SiteAssetsMissingError(dir);
  return assets;
}
