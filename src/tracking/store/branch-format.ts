/**
 * The format marker `ghml.json` at the root of the tracking branch: `{"format": 1}` or
 * `{"format": 2}`. Readers accept both; writers write format 2 only (docs/storage-format.md).
 */
import { TRACKING_FORMAT, type TrackingFormat } from '../run-record.js';
import { checkFormat } from '../run-record-json.js';
import { FormatMigrationNeededError, InvalidRunDataError } from '../tracking-errors.js';

export const MARKER_PATH = 'ghml.json';

/** Text of the marker this ghml writes. */
export function formatMarker(): string {
  return `${JSON.stringify({ format: TRACKING_FORMAT }, null, 2)}\n`;
}

/**
 * Reads the marker of a branch tip and returns its format. `where` names the branch in errors.
 * Refuses a newer format (NewerFormatError) and a branch that is not a ghml tracking branch.
 */
export function checkMarker(content: Buffer | undefined, where: string): TrackingFormat {
  const at = `${where}:${MARKER_PATH}`;
  if (content === undefined) {
    throw new InvalidRunDataError(
      at,
      `the file is missing, so '${where}' is not a ghml tracking branch`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8')) as unknown;
  } catch {
    throw new InvalidRunDataError(at, 'not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null)
    throw new InvalidRunDataError(at, 'not a JSON object');
  return checkFormat((parsed as Record<string, unknown>)['format'], at);
}

/** Like checkMarker, but refuses an older format too: a writer only writes format 2. */
export function checkWritableMarker(
  content: Buffer | undefined,
  where: string,
  branch: string,
): void {
  const format = checkMarker(content, where);
  if (format !== TRACKING_FORMAT) throw new FormatMigrationNeededError(branch, format);
}
