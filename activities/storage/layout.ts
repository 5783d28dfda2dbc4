import path from 'node:path';

/**
 * Where everything lives under the storage root. Raw bytes, source keys, id maps and anything with
 * PHI stay under `private/`; `work/` holds de-identified intermediates; `release/` what is published.
 */
export class StorageLayout {
  constructor(readonly root: string, readonly releaseDir: string) {}

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
  /** A source image's de-identification and QC result, by source sha256 and processing version (private: it holds EXIF findings). */
  processedCache(sourceSha256: string, version: number): string {
    return path.join(this.private, 'cache', `processed-v${version}`, sourceSha256.slice(0, 2), `${sourceSha256}.json`);
  }
  /** Concept scores of a de-identified image under one model version. */
  conceptCache(deidSha256: string, modelVersion: string): string {
    return path.join(this.root, 'work', 'concepts', modelVersion, deidSha256.slice(0, 2), `${deidSha256}.json`);
  }
  /** De-identified JPEGs, content-addressed by the sha256 of their bytes. */
  deidImage(sha256: string): string {
    return path.join(this.root, 'work', 'images', sha256.slice(0, 2), `${sha256}.jpg`);
  }
  /** The concept model's input pixels for a de-identified JPEG, derived when QC decodes it. */
  conceptInput(deidSha256: string): string {
    return path.join(this.root, 'work', 'concept-inputs', deidSha256.slice(0, 2), `${deidSha256}.rgb`);
  }
  /** What the current release was built from (input hash, manifest, leak scan), to skip identical rebuilds. */
  get releaseState(): string {
    return path.join(this.private, 'release-state.json');
  }
  /** The benchmark's ground truth and supplement, for the scoring tool: never published. */
  get benchmarkTruth(): string {
    return path.join(this.private, 'benchmark');
  }
  /** The private catalog of every release version: index.json and per version its snapshot, CHANGES.md and manifest. */
  get releases(): string {
    return path.join(this.private, 'releases');
  }
  /** The frozen benchmark split: every lesion ever assigned and its side, so no lesion ever changes side. */
  get splitState(): string {
    return path.join(this.private, 'split', 'state.json');
  }
  get release(): string {
    return path.resolve(this.root, this.releaseDir);
  }
}
