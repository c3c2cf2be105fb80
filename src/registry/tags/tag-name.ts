/**
 * Registry tag names in GTO's grammar. `TagName.parse(s)` returns undefined for any tag that
 * is not a registry event; `toString()` gives back the exact string it was parsed from.
 *
 *   churn@v1.2.0        register         churn@v1.2.0!     deregister
 *   churn#prod#3        assign stage     churn#prod!#4     unassign stage
 *   churn@deprecated    deprecate        models=churn@...  model 'models:churn'
 *
 * GTO also writes an optional '#N' counter after register/deregister/deprecate tags; those
 * parse too. Parsing accepts every tag GTO accepts (GTO allows '/' in stage names); the
 * factories enforce ghml's stricter stage names for the tags ghml writes.
 */
import { InvalidNameError } from '../registry-errors.js';
import { DIR_PATTERN, NAME_PATTERN, assertModelName, assertStageName } from './model-name.js';
import { modelNameToTag, tagToModelName } from './model-name.js';
import { isValidRefName, refNameProblem } from './ref-format.js';
import { SEMVER_PATTERN, parseSemVer } from './semver.js';

/** The registry event a tag records. */
export type TagEvent = 'register' | 'deregister' | 'assign' | 'unassign' | 'deprecate';

const TAG_RE = new RegExp(
  `^(?<model>(?:${DIR_PATTERN}=)?${NAME_PATTERN})` +
    `(?:(?:#(?<stage>${NAME_PATTERN})|@(?<version>${SEMVER_PATTERN}))(?<cancel>!?)` +
    `|@(?<deprecated>deprecated))` +
    `(?:#(?<counter>[0-9]+))?$`,
);
/** Tag names longer than this are not registry tags (and would not fit a file name). */
const MAX_TAG_LENGTH = 250;

interface TagFields {
  event: TagEvent;
  model: string;
  version?: string | undefined;
  stage?: string | undefined;
  counter?: number | undefined;
}

/** A parsed registry tag. Immutable; compare with `toString()`. */
export class TagName {
  readonly event: TagEvent;
  /** The model name, with GTO's folder prefix as 'dir:name' (written 'dir=name' in the tag). */
  readonly model: string;
  /** For register/deregister: the version, e.g. 'v1.2.0'. */
  readonly version: string | undefined;
  /** For assign/unassign: the stage. */
  readonly stage: string | undefined;
  /** The '#N' counter when the tag has one. */
  readonly counter: number | undefined;
  readonly #text: string;

  private constructor(fields: TagFields, text: string) {
    this.event = fields.event;
    this.model = fields.model;
    this.version = fields.version;
    this.stage = fields.stage;
    this.counter = fields.counter;
    this.#text = text;
  }

  /** Parses a tag name (without 'refs/tags/'); undefined when it is not a registry tag. */
  static parse(text: string): TagName | undefined {
    if (text.length > MAX_TAG_LENGTH) return undefined;
    const g = TAG_RE.exec(text)?.groups;
    if (!g) return undefined;
    if (!isValidRefName(`refs/tags/${text}`)) return undefined;
    const cancelled = g.cancel === '!';
    const counter = g.counter === undefined ? undefined : Number(g.counter);
    if (counter !== undefined && !Number.isSafeInteger(counter)) return undefined;
    const model = tagToModelName(g.model ?? '');
    if (g.deprecated !== undefined) {
      return new TagName({ event: 'deprecate', model, counter }, text);
    }
    if (g.version !== undefined) {
      const event = cancelled ? 'deregister' : 'register';
      return new TagName({ event, model, version: g.version, counter }, text);
    }
    const event = cancelled ? 'unassign' : 'assign';
    return new TagName({ event, model, stage: g.stage, counter }, text);
  }

  /** `model@vX.Y.Z`: registers a version. Throws InvalidNameError on a bad name or version. */
  static register(model: string, version: string): TagName {
    return TagName.build({ event: 'register', model, version: checkVersion(version) });
  }

  /** `model@vX.Y.Z!`: deregisters a version. */
  static deregister(model: string, version: string): TagName {
    return TagName.build({ event: 'deregister', model, version: checkVersion(version) });
  }

  /** `model#stage#N`: assigns a stage; N is the model's highest counter + 1. */
  static assign(model: string, stage: string, counter: number): TagName {
    return TagName.build({ event: 'assign', model, stage: assertStageName(stage), counter });
  }

  /** `model#stage!#N`: unassigns a stage. */
  static unassign(model: string, stage: string, counter: number): TagName {
    return TagName.build({ event: 'unassign', model, stage: assertStageName(stage), counter });
  }

  /** `model@deprecated`, or `model@deprecated#N` when that tag exists already. */
  static deprecate(model: string, counter?: number): TagName {
    return TagName.build({ event: 'deprecate', model, counter });
  }

  private static build(fields: TagFields): TagName {
    assertModelName(fields.model);
    if (
      fields.counter !== undefined &&
      (!Number.isSafeInteger(fields.counter) || fields.counter < 0)
    ) {
      throw new InvalidNameError(
        'tag',
        String(fields.counter),
        'the counter must be a whole number',
      );
    }
    const text = formatTag(fields);
    if (text.length > MAX_TAG_LENGTH) {
      throw new InvalidNameError('tag', text, `it is longer than ${MAX_TAG_LENGTH} characters`);
    }
    const problem = refNameProblem(`refs/tags/${text}`);
    if (problem !== undefined) throw new InvalidNameError('tag', text, problem);
    return new TagName(fields, text);
  }

  /** The full reference name, `refs/tags/<tag>`. */
  get ref(): string {
    return `refs/tags/${this.#text}`;
  }

  /** The exact tag name. */
  toString(): string {
    return this.#text;
  }
}

function checkVersion(version: string): string {
  if (parseSemVer(version) === undefined) throw new InvalidNameError('version', version);
  return version;
}

function formatTag(f: TagFields): string {
  const model = modelNameToTag(f.model);
  const counter = f.counter === undefined ? '' : `#${f.counter}`;
  switch (f.event) {
    case 'register':
      return `${model}@${f.version ?? ''}${counter}`;
    case 'deregister':
      return `${model}@${f.version ?? ''}!${counter}`;
    case 'assign':
      return `${model}#${f.stage ?? ''}${counter}`;
    case 'unassign':
      return `${model}#${f.stage ?? ''}!${counter}`;
    case 'deprecate':
      return `${model}@deprecated${counter}`;
  }
}
