import { ApplicationFailure } from '@temporalio/activity';
import type { Centre, LoadedConfig } from '../schemas/config.ts';
import { ConceptModel } from './concepts/concept-model.ts';
import type { BlobStore } from './storage/blob-store.ts';
import { Lake } from './storage/lake.ts';
import type { StorageLayout } from './storage/layout.ts';
import { openStorage } from './storage/open-store.ts';

/** What activities close over: built once per worker process from its temporal.yml. */
export class ActivityDeps {
  readonly store: BlobStore;
  readonly layout: StorageLayout;
  readonly lake: Lake;
  private model?: Promise<ConceptModel>;

  constructor(readonly loaded: LoadedConfig) {
    ({ store: this.store, layout: this.layout } = openStorage(loaded));
    this.lake = new Lake(this.store);
  }

  get config() {
    return this.loaded.config;
  }

  /** The ids of the configured centres: the lake's per-centre partitions. */
  get centreIds(): string[] {
    return this.config.centres.map((c) => c.id);
  }

  centre(id: string): Centre {
    const centre = this.config.centres.find((c) => c.id === id);
    if (!centre) throw ApplicationFailure.nonRetryable(`centre ${id} is not in this worker's config ${this.loaded.file}`);
    return centre;
  }

  conceptModel(): Promise<ConceptModel> {
    this.model ??= ConceptModel.load(this.loaded.modelPath);
    return this.model;
  }
}
