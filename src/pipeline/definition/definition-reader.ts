/**
 * The NodeReader of src/config plus what stage reading adds: source positions for specs, `${}`
 * resolution with errors at the value's line, and project-relative path checks.
 * Problems are collected (never thrown) so one load reports them all.
 */
import { posix } from 'node:path';
import type { LineCounter } from 'yaml';
import { quote, type Field, type NodeReader } from '../../config/yaml-node-reader.js';
import {
  InterpolationError,
  interpolate,
  type UsedParam,
  type VarsContext,
} from './interpolation.js';
import type { SourcePosition } from './stage-spec.js';

/** Absolute paths and control characters are refused; '..' is checked after joining. */
function pathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'it is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'it contains a control character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path))
    return 'it is absolute';
  return undefined;
}

export class DefinitionReader {
  constructor(
    readonly r: NodeReader,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  position(field: Field, onKey = false): SourcePosition {
    const node = onKey ? (field.keyNode ?? field.at) : field.at;
    const { line, col } = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.file, line, column: col };
  }

  /** A scalar resolved through `${}`; undefined (reported) when it cannot be. */
  resolved(
    field: Field,
    context: VarsContext,
    used: UsedParam[],
    options: { what: string; fix: string; inCmd?: boolean },
  ): unknown {
    const text = this.r.text(field, options.what, options.fix);
    if (text === undefined) return undefined;
    return this.resolveText(field, text, context, used, options.inCmd ?? false);
  }

  /** Resolves `${}` in a text found at `field` (a key or a value). */
  resolveText(
    field: Field,
    text: string,
    context: VarsContext,
    used: UsedParam[],
    inCmd: boolean,
    onKey = false,
  ): unknown {
    try {
      return interpolate(text, context, used, { inCmd });
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      this.r.report(
        field,
        `has a \${} that does not resolve: ${error.message}`,
        "define the name in vars (ghml.yml pipeline.vars, dvc.yaml vars) or params.yaml, or escape it as '\\${'",
        onKey,
      );
      return undefined;
    }
  }

  /** A resolved value that must be text. */
  resolvedText(
    field: Field,
    context: VarsContext,
    used: UsedParam[],
    options: { what: string; fix: string; inCmd?: boolean },
  ): string | undefined {
    const value = this.resolved(field, context, used, options);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.r.report(field, `must resolve to ${options.what}, got a list or map`, options.fix);
    return undefined;
  }

  /**
   * `path` relative to `base` (a project-relative folder), normalised and checked to stay in
   * the project; undefined (reported) otherwise.
   */
  projectPath(field: Field, path: string, base: string, onKey = false): string | undefined {
    const problem = pathProblem(path);
    if (problem !== undefined) {
      this.r.report(
        field,
        `must be a path inside the project, got ${quote(path)}: ${problem}`,
        'write a path relative to the stage (its wdir), inside the project folder',
        onKey,
      );
      return undefined;
    }
    const joined = posix.normalize(posix.join(base === '' ? '.' : base, path.replace(/\\/g, '/')));
    const clean = joined.replace(/\/+$/, '');
    if (clean === '..' || clean.startsWith('../') || clean === '.' || clean === '') {
      this.r.report(
        field,
        `must name a file or folder inside the project, got ${quote(path)}`,
        'write a path relative to the stage (its wdir), inside the project folder',
        onKey,
      );
      return undefined;
    }
    return clean;
  }
}
