/**
 * Model and stage names, in GTO's grammar. A model name is `[dir:]name`: `name` may contain
 * '/', and the optional `dir:` prefix is GTO's form for a model declared in a sub-folder's
 * dvc.yaml. In tag names GTO writes that ':' as '=' (`models:churn` → `models=churn@v1.0.0`);
 * '/' stays as it is.
 */
import { InvalidNameError } from '../registry-errors.js';
import { refNameProblem } from './ref-format.js';

/** GTO's name pattern: letters, digits, '-', '_', '/', starting and ending with a letter or digit. */
export const NAME_PATTERN = '[a-zA-Z0-9](?:[a-zA-Z0-9_/\\-]*[a-zA-Z0-9])?';
/** GTO's folder prefix of a model name (before ':'). */
export const DIR_PATTERN = '[a-zA-Z0-9_./\\-]+';
/** Stage names as ghml writes them: the name pattern without '/'. */
export const STAGE_PATTERN = '[a-zA-Z0-9](?:[a-zA-Z0-9_\\-]*[a-zA-Z0-9])?';

const MODEL_RE = new RegExp(`^(?:${DIR_PATTERN}:)?${NAME_PATTERN}$`);
const STAGE_RE = new RegExp(`^${STAGE_PATTERN}$`);
/** Keeps every path part of a tag within the 255 bytes most file systems allow (loose refs). */
const MAX_NAME_LENGTH = 200;

/** The model name as it appears in a tag: GTO's ':' becomes '='. */
export function modelNameToTag(model: string): string {
  return model.replace(':', '=');
}

/** The model name a tag spells: '=' back to ':'. */
export function tagToModelName(inTag: string): string {
  return inTag.replace('=', ':');
}

/** The error for an invalid model name, or undefined when `model` is valid. */
export function checkModelName(model: string): InvalidNameError | undefined {
  if (model.length > MAX_NAME_LENGTH) {
    return new InvalidNameError('model', model, `it is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (!MODEL_RE.test(model)) return new InvalidNameError('model', model);
  const problem = refNameProblem(`refs/tags/${modelNameToTag(model)}`);
  if (problem !== undefined) {
    return new InvalidNameError('model', model, `${problem}, which git refuses in a tag`);
  }
  return undefined;
}

/** Throws InvalidNameError unless `model` is a valid model name; returns it. */
export function assertModelName(model: string): string {
  const error = checkModelName(model);
  if (error) throw error;
  return model;
}

/** True when `stage` is a valid stage name for ghml to write. */
export function isStageName(stage: string): boolean {
  return stage.length <= MAX_NAME_LENGTH && STAGE_RE.test(stage);
}

/** Throws InvalidNameError unless `stage` is a valid stage name; returns it. */
export function assertStageName(stage: string): string {
  if (!isStageName(stage)) throw new InvalidNameError('stage', stage);
  return stage;
}
