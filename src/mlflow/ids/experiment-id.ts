/**
 * MLflow experiment ids for ghml experiments. An id is derived from the experiment's name
 * alone (never a counter), so every server and every clone gives the same name the same id:
 * 16 decimal digits from a SHA-256 of the name, which passes MLflow's experiment-id rule
 * (`^[a-zA-Z0-9][\w\-]{0,63}$`) and also parses as an integer for clients that expect one.
 * "0", MLflow's default experiment, is ghml.yml's `default_experiment`.
 */
import { createHash } from 'node:crypto';

/** MLflow's id of its default experiment. */
export const DEFAULT_EXPERIMENT_ID = '0';

const EXPERIMENT_ID_RULE = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** True when `id` has the shape MLflow accepts for an experiment id. */
export function isExperimentIdShape(id: string): boolean {
  return EXPERIMENT_ID_RULE.test(id);
}

/** The id of a named experiment that is not the default one. */
export function derivedExperimentId(name: string): string {
  const digest = createHash('sha256').update(`ghml-experiment:${name}`).digest();
  // 8e15 ids from 1e15 upward: always 16 digits, below 2^53 so JSON numbers stay exact.
  const n = digest.readBigUInt64BE(0) % 8_000_000_000_000_000n;
  return String(n + 1_000_000_000_000_000n);
}

/** Maps experiment names to ids and back, knowing which name is the default experiment. */
export class ExperimentIds {
  private readonly byId = new Map<string, string>();

  constructor(readonly defaultExperiment: string) {
    this.byId.set(DEFAULT_EXPERIMENT_ID, defaultExperiment);
  }

  /** The id of `name`: "0" for the default experiment, else the derived id. */
  idOf(name: string): string {
    if (name === this.defaultExperiment) return DEFAULT_EXPERIMENT_ID;
    const id = derivedExperimentId(name);
    this.byId.set(id, name);
    return id;
  }

  /** Makes the names known so their ids resolve (ids cannot be reversed without the name). */
  learn(names: Iterable<string>): void {
    for (const name of names) this.idOf(name);
  }

  /** The name behind an id, when the name has been seen. */
  nameOf(id: string): string | undefined {
    return this.byId.get(id);
  }
}
