/** Errors of `ghml report build` and `ghml ui`, each naming a fix that exists. */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** The page's bundled files are not where the package keeps them (dist/site/). */
export class SiteAssetsMissingError extends GhmlError {
  constructor(readonly dir: string) {
    super(`The report site's page files are missing from '${dir}'.`, {
      hint: "run 'npm run build' in the ghml checkout (it bundles web/ into dist/site/)",
    });
    this.name = 'SiteAssetsMissingError';
  }
}

/** The output folder holds something that is not a site ghml wrote: it is never overwritten. */
export class SiteOutputNotEmptyError extends UsageError {
  constructor(readonly dir: string) {
    super(`'${dir}' is not empty and does not hold a site written by 'ghml report build'.`, {
      hint: 'pass an empty or new folder with -o, e.g. ghml report build -o site',
    });
    this.name = 'SiteOutputNotEmptyError';
  }
}

/** The output path exists and is not a folder. */
export class SiteOutputNotFolderError extends UsageError {
  constructor(readonly path: string) {
    super(`'${path}' exists and is not a folder.`, {
      hint: 'pass a folder with -o, e.g. ghml report build -o site',
    });
    this.name = 'SiteOutputNotFolderError';
  }
}

/** A numeric option that is not a whole number in range. */
export class InvalidSiteOptionError extends UsageError {
  constructor(option: string, value: string, range: string) {
    super(`${option} expects ${range}, got '${value}'.`, {
      hint: `pass ${option} with ${range}, or leave it out for the default`,
    });
    this.name = 'InvalidSiteOptionError';
  }
}

/** `ghml ui` could not listen on the port. */
export class SitePortError extends GhmlError {
  constructor(
    readonly port: number,
    cause: unknown,
  ) {
    const busy = (cause as { code?: string }).code === 'EADDRINUSE';
    super(
      busy
        ? `Port ${port} on 127.0.0.1 is already in use.`
        : `Cannot listen on 127.0.0.1:${port}: ${(cause as Error).message}`,
      { hint: 'choose another port with --port, e.g. ghml ui --port 5050', cause },
    );
    this.name = 'SitePortError';
  }
}
