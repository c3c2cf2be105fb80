/**
 * The artifact store as a place pipeline outputs are restored from. Outputs reach the store
 * the way every run's large files do: the stage's run is recorded and the recorder uploads its
 * manifest, so every blob there is referenced and survives the registry's garbage collection.
 * This side only reads: `put` stores nothing (a blob without a manifest would be collected).
 * The store is opened on first use, so a no-op `ghml repro` never reads ghml.yml or touches
 * the network.
 */
import type { ContentStore, TransferProgress } from '../../artifacts/content-store.js';

export class StoreOutputSource implements ContentStore {
  readonly description: string;
  readonly readOnly = true;
  private opened: Promise<ContentStore | null> | undefined;

  constructor(
    private readonly open: () => Promise<ContentStore | null>,
    description = 'the artifact store',
  ) {
    this.description = description;
  }

  private store(): Promise<ContentStore | null> {
    this.opened ??= this.open();
    return this.opened;
  }

  async has(sha256: string): Promise<boolean> {
    const store = await this.store();
    return store === null ? false : store.has(sha256);
  }

  /** Uploads nothing: the stage's run manifest carries the outputs to the store. */
  put(
    _file: string,
    options: { sha256?: string; size?: number } = {},
  ): Promise<{ sha256: string; size: number }> {
    return Promise.resolve({ sha256: options.sha256 ?? '', size: options.size ?? 0 });
  }

  async get(
    sha256: string,
    dest: string,
    options: { size?: number; onProgress?: TransferProgress } = {},
  ): Promise<void> {
    const store = await this.store();
    if (store === null) throw new Error('unreachable: get without has');
    await store.get(sha256, dest, options);
  }
}
