import path from 'node:path';

/**
 * Where everything lives under the storage root. Raw bytes, source keys, id maps and anything with
 * PHI stay under `private/`; `work/` holds de-identified intermediates; `release/` what is published.
 */
export class StorageLayout {
  constructor(readonly root: string, private readonly releaseDir: string) {}

  get private(): string {
    return path.join(this.root, 'private');
  }
  /** Raw centre objects, content-addressed by sha256. */
  staged(sha256: string): string {
    return path.join(this.private, 'staging', sha256.slice(0, 2), sha256);
  }
  /** Append-only shards of one lake table, partitioned (by centre, or by build stage). */
  lakeTable(table: string): string {
    return path.join(this.private, 'lake', table);
  }
  get idMap(): string {
    return path.join(this.private, 'public-ids.json');
  }
  /** De-identified JPEGs, content-addressed by the sha256 of their bytes. */
  deidImage(sha256: string): string {
    return path.join(this.root, 'work', 'images', sha256.slice(0, 2), `${sha256}.jpg`);
  }
  /** The concept model's input pixels for a de-identified JPEG, derived when QC decodes it. */
  conceptInput(deidSha256: string): string {
    return path.join(this.root, 'work', 'concept-inputs', deidSha256.slice(0, 2), `${deidSha256}.rgb`);
  }
  get release(): string {
    return path.resolve(this.root, this.releaseDir);
  }
}
