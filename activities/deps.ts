import { ApplicationFailure } from '@temporalio/activity';
import type { Centre, LoadedConfig } from '../schemas/config.ts';
import { ConceptModel } from './concepts/concept-model.ts';
import { Lake } from './storage/lake.ts';
import { StorageLayout } from './storage/layout.ts';

/** What activities close over: built once per worker process from its temporal.yml. */
export class ActivityDeps {
  readonly layout: StorageLayout;
  readonly lake: Lake;
  private model?: Promise<ConceptModel>;

  constructor(readonly loaded: LoadedConfig) {
    this.layout = new StorageLayout(loaded.storageRoot, loaded.config.release.dir);
    this.lake = new Lake((table) => this.layout.lakeTable(table));
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
