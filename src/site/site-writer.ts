/**
 * Writes a built site to a folder: the page's files and the data folder. A folder that is
 * not empty is written to only when its index.html carries ghml's marker (a site it wrote
 * before), so `-o` can never overwrite someone's files. The new data folder is written beside
 * the old one and swapped in by renames: a reader (a running static server) sees the old
 * data or the new, and a build killed half-way leaves the old data whole.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SITE_MARKER } from './site-assets.js';
import { DATA_DIR } from './data/site-data-format.js';
import { SiteOutputNotEmptyError, SiteOutputNotFolderError } from './site-errors.js';

async function checkOutput(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    return;
  }
  if (!info.isDirectory()) throw new SiteOutputNotFolderError(dir);
  const entries = await readdir(dir);
  if (entries.length === 0) return;
  const index = await readFile(join(dir, 'index.html'), 'utf8').catch(() => '');
  if (!index.includes(SITE_MARKER)) throw new SiteOutputNotEmptyError(dir);
}

/** Total bytes written, per kind. */
export interface WriteSummary {
  pageBytes: number;
  dataBytes: number;
  dataFiles: number;
}

export async function writeSite(
  dir: string,
  assets: ReadonlyMap<string, Buffer>,
  data: ReadonlyMap<string, string>,
): Promise<WriteSummary> {
  await checkOutput(dir);
  await mkdir(dir, { recursive: true });
  // A build killed half-way leaves its scratch folders: they are ghml's own, remove them.
  for (const name of await readdir(dir))
    if (name.startsWith(`${DATA_DIR}.new-`) || name.startsWith(`${DATA_DIR}.old-`))
      await rm(join(dir, name), { recursive: true, force: true });
  let pageBytes = 0;
  for (const [name, bytes] of assets) {
    await writeFile(join(dir, name), bytes);
    pageBytes += bytes.length;
  }
  const stamp = `${process.pid}-${Date.now()}`;
  const fresh = join(dir, `${DATA_DIR}.new-${stamp}`);
  const old = join(dir, `${DATA_DIR}.old-${stamp}`);
  let dataBytes = 0;
  const folders = new Set<string>();
  for (const path of data.keys()) folders.add(dirname(path.slice(DATA_DIR.length + 1)));
  for (const folder of folders) await mkdir(join(fresh, folder), { recursive: true });
  for (const [path, text] of data) {
    await writeFile(join(fresh, path.slice(DATA_DIR.length + 1)), text);
    dataBytes += Buffer.byteLength(text);
  }
  const target = join(dir, DATA_DIR);
  const hadData = await stat(target).then(
    () => true,
    () => false,
  );
  if (hadData) await rename(target, old);
  await rename(fresh, target);
  if (hadData) await rm(old, { recursive: true, force: true });
  return { pageBytes, dataBytes, dataFiles: data.size };
}
