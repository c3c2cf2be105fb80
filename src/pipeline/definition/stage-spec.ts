/**
 * A pipeline after loading: every `${}` resolved, every foreach/matrix expanded, every path
 * made relative to the project folder (the folder of ghml.yml or dvc.yaml, '/'-separated).
 * Nothing downstream (graph, status, executor, compilers) reads YAML again.
 */

/** Where a value was written, for file:line errors. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One output: `outs`, `metrics` or `plots` entry. */
export interface OutputSpec {
  /** Project-relative path ('/'-separated, no trailing '/'). */
  path: string;
  kind: 'out' | 'metric' | 'plot';
  /** Stored in the content-addressed cache (DVC default true). */
  cache: boolean;
  /** Kept (not deleted) before the stage runs. */
  persist: boolean;
  at: SourcePosition;
}

export interface DependencySpec {
  path: string;
  at: SourcePosition;
}

/** Params a stage depends on, from one params file. */
export interface ParamsSpec {
  /** Project-relative path of the params file. */
  file: string;
  /** Dotted keys; null: every param of the file. */
  keys: string[] | null;
  at: SourcePosition;
}

export interface StageSpec {
  /** Full name: `train`, or `train@rf` for a foreach/matrix member. */
  name: string;
  /** Name of the foreach/matrix definition it came from (equal to `name` otherwise). */
  group: string;
  /** The member key after '@' (foreach key, or the matrix combination); null otherwise. */
  member: string | null;
  /** The matrix values of a matrix member (name -> value as text); null otherwise. */
  matrix: Record<string, string> | null;
  /** Commands run one after another in a shell (DVC allows a list). */
  cmd: string[];
  /** Project-relative working folder ('' for the project folder). */
  wdir: string;
  deps: DependencySpec[];
  params: ParamsSpec[];
  outs: OutputSpec[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc: string | null;
  /** ghml extension: the experiment the stage's runs are recorded in. */
  experiment: string | null;
  at: SourcePosition;
}

export interface PipelineDefinition {
  /** Absolute path of the project folder (where the definition file and ghml.lock live). */
  root: string;
  /** The definition file, project-relative ('ghml.yml' or 'dvc.yaml'). */
  file: string;
  /** Pipeline name: ghml.yml `pipeline.name`, else the project folder's name. */
  name: string;
  /** Container image of the KFP target (ghml.yml `pipeline.image`). */
  image: string | null;
  /** Stages in definition order (members of a group in their expansion order). */
  stages: StageSpec[];
}

/** Where ghml writes its lock file, beside the definition. */
export const LOCK_FILE = 'ghml.lock';
