/**
 * Turns everything a finished command left behind into a run: params files, the events file,
 * metrics files and the artifacts folder (stdout metrics are fed live into the builder by
 * StdoutMetricsParser). This is the one call `ghml run` makes when the command ends.
 *
 * Nothing here aborts the run: bad events, bad file entries, unparseable params/metrics files,
 * an unreadable events file and skipped artifacts all become warnings, and everything else is
 * kept. (Call readParamsFile before starting the command to fail fast on a broken params.yaml.)
 * Only a bad run identity (experiment name, empty id) throws, from RunBuilder.build.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ArtifactLimits } from '../../config/config-types.js';
import { collectArtifacts, type ArtifactFile } from './artifact-collector.js';
import { readEventFile, type EventFileSummary, type LogEvent } from './event-file.js';
import { readMetricsFile } from './metrics-file.js';
import { readParamsFile } from './params-file.js';
import { RunBuilder, type BuiltRun, type RunIdentity } from './run-builder.js';
import { WarningList, type IngestWarning } from './ingest-warnings.js';

export interface IngestRunInput {
  /** Identity and outcome of the run (artifacts are collected here). */
  run: Omit<RunIdentity, 'artifacts'>;
  /** A builder already holding data (params read up front, stdout metrics); default a new one. */
  builder?: RunBuilder;
  /** GHML_EVENTS; a missing file means nothing was logged. */
  eventsFile?: string | null;
  /** Params files (ghml.yml `sources.paramsFiles`), read first; missing files are skipped. */
  paramsFiles?: readonly string[];
  /**
   * Metrics files (`sources.metricsFiles`), read after the events; missing files are skipped,
   * and so are files last written before the run started (with a warning). Their values go
   * only into metrics the run did not log: a logged metric keeps its series (with a warning
   * when the file disagrees).
   */
  metricsFiles?: readonly string[];
  /** GHML_ARTIFACTS_DIR. */
  artifactsDir?: string | null;
  /**
   * Where copies of stored artifacts are made (in a fresh folder inside it); default the
   * folder that holds `artifactsDir` (the open run's folder).
   */
  snapshotDir?: string;
  artifactLimits: ArtifactLimits;
  /** Folder relative file names are resolved against; default process.cwd(). */
  cwd?: string;
  /** Warnings kept before the rest are only counted; default 100. */
  maxWarnings?: number;
}

export interface IngestedRun extends BuiltRun {
  /** Stored artifacts for the tracking-branch writer (`artifacts/<path>` <- `file`). */
  artifactFiles: ArtifactFile[];
  /** The folder of the copies in `artifactFiles` (in the open run's folder, removed with it). */
  artifactCopies?: string;
  /** Everything skipped, as `source:line: message` material (see formatWarning). */
  warnings: IngestWarning[];
  events: EventFileSummary;
}

/**
 * Applies one event to the builder. A single-item event that the builder rejects throws its
 * typed error; in a batch each rejected point is reported once per key through `onProblem`
 * and the other points are kept (without `onProblem` the first rejection throws).
 */
export function applyEvent(
  builder: RunBuilder,
  event: LogEvent,
  onProblem?: (message: string) => void,
): void {
  switch (event.type) {
    case 'metric':
      builder.addMetric(event.key, event.value, event.step, event.timestamp);
      return;
    case 'metrics':
      eachPoint(Object.keys(event.values), onProblem, (key) =>
        builder.addMetric(key, event.values[key], event.step, event.timestamp),
      );
      return;
    case 'metric_batch': {
      const { keys, values, steps, timestamps } = event;
      eachPoint(keys, onProblem, (key, i) =>
        builder.addMetric(key, values[i], steps[i] ?? undefined, timestamps[i]),
      );
      return;
    }
    case 'param':
      builder.addParam(event.key, event.value);
      return;
    case 'tag':
      builder.setTag(event.key, event.value);
      return;
    case 'artifact':
      builder.noteArtifact(event.path);
      return;
  }
}

function eachPoint(
  keys: readonly string[],
  onProblem: ((message: string) => void) | undefined,
  add: (key: string, i: number) => void,
): void {
  let reported: Set<string> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    try {
      add(key, i);
    } catch (error) {
      if (onProblem === undefined) throw error;
      reported ??= new Set();
      if (!reported.has(key)) onProblem(`${(error as Error).message} Point skipped.`);
      reported.add(key);
    }
  }
}

/** The file's modification time in ms, or undefined when it does not exist. */
async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Linux stamps files from a clock that lags Date.now() by up to one tick (at most 10 ms). */
const FILE_CLOCK_LAG_MS = 20;

/**
 * True when a file with modification time `mtimeMs` was written at or after `startTime`, at
 * the file system's resolution: times on whole (FAT: even) seconds come from a file system
 * that keeps no finer time, and are compared with the start rounded down the same way.
 */
export function writtenSince(mtimeMs: number, startTime: number): boolean {
  for (const resolution of [2000, 1000]) {
    if (mtimeMs % resolution === 0) {
      return mtimeMs >= Math.floor(startTime / resolution) * resolution;
    }
  }
  return mtimeMs >= startTime - FILE_CLOCK_LAG_MS;
}

function isoTime(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

/** Reads all of a finished run's outputs and builds its record; see the module comment. */
export async function ingestRun(input: IngestRunInput): Promise<IngestedRun> {
  const cwd = input.cwd ?? process.cwd();
  const builder = input.builder ?? new RunBuilder();
  const warnings = new WarningList(input.maxWarnings ?? 100);
  const fail = (source: string, error: unknown): void => {
    warnings.add({ source, message: (error as Error).message });
  };

  for (const name of input.paramsFiles ?? []) {
    try {
      const result = await readParamsFile(resolve(cwd, name), name);
      if (result === undefined) continue;
      for (const w of result.warnings) warnings.add(w);
      for (const [key, value] of Object.entries(result.params)) {
        try {
          builder.addParam(key, value);
        } catch (error) {
          fail(name, error);
        }
      }
    } catch (error) {
      // The message already starts with "params.yaml:3:5:"; keep it as the whole warning.
      warnings.add({ source: 'params', message: (error as Error).message });
    }
  }

  let events: EventFileSummary = { found: false, lines: 0, events: 0, skipped: 0 };
  if (input.eventsFile) {
    try {
      events = await readEventFile(
        input.eventsFile,
        (event, line) =>
          applyEvent(builder, event, (message) =>
            warnings.add({ source: 'events', line, message }),
          ),
        warnings,
        { displayName: 'events' },
      );
    } catch (error) {
      fail('events', error);
    }
  }

  for (const name of input.metricsFiles ?? []) {
    try {
      const path = resolve(cwd, name);
      const written = await modifiedAt(path);
      if (written === undefined) continue;
      if (!writtenSince(written, input.run.startTime)) {
        warnings.add({
          source: name,
          message: `not read: it was last written at ${isoTime(written)}, before this run started at ${isoTime(input.run.startTime)} (left over from an earlier run?)`,
        });
        continue;
      }
      const result = await readMetricsFile(path, name);
      if (result === undefined) continue;
      for (const w of result.warnings) warnings.add(w);
      for (const [key, value] of result.metrics) {
        try {
          const logged = builder.addFinalMetric(key, value);
          if (logged !== undefined) {
            warnings.add({
              source: name,
              message: `metric '${key}' is ${String(value)} here but the run logged ${String(logged)} last; the logged value is kept`,
            });
          }
        } catch (error) {
          fail(name, error);
        }
      }
    } catch (error) {
      warnings.add({ source: 'metrics', message: (error as Error).message });
    }
  }

  let artifactFiles: ArtifactFile[] = [];
  let artifactCopies: string | undefined;
  let artifacts: RunIdentity['artifacts'] = [];
  if (input.artifactsDir) {
    try {
      const collected = await collectArtifacts({
        dir: input.artifactsDir,
        snapshotDir: input.snapshotDir ?? dirname(resolve(input.artifactsDir)),
        maxFileBytes: input.artifactLimits.maxFileBytes,
        maxTotalBytes: input.artifactLimits.maxTotalBytes,
      });
      for (const w of collected.warnings) warnings.add(w);
      artifacts = collected.entries;
      artifactFiles = collected.files;
      artifactCopies = collected.copies;
    } catch (error) {
      fail('artifacts', error);
    }
  }

  const built = builder.build({ ...input.run, artifacts });
  for (const w of built.warnings) warnings.add(w);
  return {
    ...built,
    artifactFiles,
    ...(artifactCopies === undefined ? {} : { artifactCopies }),
    warnings: warnings.list(),
    events,
  };
}
