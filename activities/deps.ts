import { ApplicationFailure } from '@temporalio/activity';
import type { Centre, LoadedConfig } from '../schemas/config.ts';
import { ConceptModel, readConceptFolder } from './concepts/concept-model.ts';
import type { ConceptModelDisclosure } from '../schemas/concept-model.ts';
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
    if (!centre) throw ApplicationFailure.nonRetryable(`centre ${id} is not in this worker's config '${this.loaded.file}'`);
    return centre;
  }

  /** The concept model, loaded once per worker process; a model that cannot load (a bad folder, CUDA missing) fails the activity for good, with the reason. */
  conceptModel(): Promise<ConceptModel> {
    this.model ??= ConceptModel.load(this.loaded.modelPath, this.config.concepts.device).catch((err: unknown) => {
      throw ApplicationFailure.nonRetryable((err as Error).message);
    });
    return this.model;
  }

  /** What the release says about the concept model; reads its folder only, so any worker can write the release. */
  async conceptModelCard(): Promise<ConceptModelDisclosure> {
    return (await readConceptFolder(this.loaded.modelPath)).disclosure;
  }
}
