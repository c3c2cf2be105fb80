/** The format marker `ghml.json` at the root of the tracking branch. */
import { TRACKING_FORMAT } from '../run-record.js';
import { checkFormat } from '../run-record-json.js';
import { InvalidRunDataError } from '../tracking-errors.js';

export const MARKER_PATH = 'ghml.json';

/** Text of the marker this ghml writes. */
export function formatMarker(): string {
  return `${JSON.stringify({ format: TRACKING_FORMAT }, null, 2)}\n`;
}

/**
 * Checks the marker read from a branch tip. `where` names the branch in errors. Refuses a
 * newer format (NewerFormatError) and a branch that is not a ghml tracking branch.
 */
export function checkMarker(content: Buffer | undefined, where: string): void {
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
  checkFormat((parsed as Record<string, unknown>)['format'], at);
}
