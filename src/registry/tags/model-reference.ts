/**
 * References to a model version as users type them: `name@vX.Y.Z`, `name@latest` (GTO also
 * says `name@greatest`) and `name#stage`.
 */
import { DIR_PATTERN, NAME_PATTERN } from './model-name.js';
import { SEMVER_PATTERN } from './semver.js';

/** A parsed reference: exactly one of `version` ('latest' or vX.Y.Z) and `stage` is set. */
export interface ModelReference {
  model: string;
  version?: string;
  stage?: string;
}

const REFERENCE_RE = new RegExp(
  `^(?<model>(?:${DIR_PATTERN}:)?${NAME_PATTERN})` +
    `(?:#(?<stage>${NAME_PATTERN})|@(?<version>latest|greatest|${SEMVER_PATTERN}))$`,
);

/** Parses a reference; undefined when it is not one. */
export function parseModelReference(text: string): ModelReference | undefined {
  if (text.length > 300) return undefined;
  const g = REFERENCE_RE.exec(text)?.groups;
  if (!g || g.model === undefined) return undefined;
  if (g.stage !== undefined) return { model: g.model, stage: g.stage };
  const version = g.version === 'greatest' ? 'latest' : (g.version ?? 'latest');
  return { model: g.model, version };
}
