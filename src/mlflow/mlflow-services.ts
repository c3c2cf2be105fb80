/**
 * What the routes work with: one object per endpoint, built by endpoint-setup.ts. Route
 * modules import this type only, so no route imports another.
 */
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import type { TrackingStore } from '../tracking/store/tracking-store.js';
import type { RegistryBridge } from './registry/registry-bridge.js';
import type { ExperimentCatalog } from './runs/experiment-catalog.js';
import type { LoggedModels } from './runs/logged-models.js';
import type { RunBridge } from './runs/run-bridge.js';

export interface MlflowServices {
  git: Git;
  gitDir: string;
  config: GhmlConfig;
  store: TrackingStore;
  experiments: ExperimentCatalog;
  runs: RunBridge;
  models: LoggedModels;
  registry: RegistryBridge;
  /** Largest artifact upload accepted, in bytes. */
  maxUploadBytes: number;
  /**
   * The artifact store large files are read from when this clone does not have them (opened on
   * first use; throws when the setting cannot be used), or null when there is none.
   */
  artifactStore: () => ArtifactStore | null;
  log: (message: string) => void;
}
