import path from 'node:path';

/**
 * Where everything lives in the BlobStore, by key. Raw bytes, source keys, id maps and anything with
 * PHI stay under `private/`; `work/` holds de-identified intermediates; the release folder (`release.dir`,
 * default `release/`) what is published; `reports/` the QC report.
 */
export class StorageLayout {
  /** the release folder's key (no trailing '/') */
  readonly release: string;

  constructor(releaseDir: string) {
    const key = path.posix.normalize(releaseDir.split(path.sep).join('/')).replace(/\/$/, '');
    if (path.posix.isAbsolute(key) || key === '.' || key.startsWith('..') || key.startsWith('private')) {
      throw new Error(`release.dir ${releaseDir} must be a folder inside storage.root, outside private/`);
    }
    this.release = key;
  }

  /** Raw centre objects, content-addressed by sha256. */
  staged(sha256: string): string {
    return `private/staging/${sha256.slice(0, 2)}/${sha256}`;
  }
  get idMap(): string {
    return 'private/public-ids.json';
  }
  /** The secret public ids are keyed with (id-key.ts), unless MILK_ID_KEY gives it. */
  get idKey(): string {
    return 'private/id-key';
  }
  /** A source image's de-identification and QC result, by source sha256 and processing version (private: it holds EXIF findings). */
  processedCache(sourceSha256: string, version: number): string {
    return `private/cache/processed-v${version}/${sourceSha256.slice(0, 2)}/${sourceSha256}.json`;
  }
  /** Text regions of a de-identified image under one reader version and its settings (private: what was read may be PHI). */
  textCache(deidSha256: string, readerVersion: string): string {
    return `private/cache/text/${readerVersion}/${deidSha256.slice(0, 2)}/${deidSha256}.json`;
  }
  /** Concept scores of a de-identified image under one model version. */
  conceptCache(deidSha256: string, modelVersion: string): string {
    return `work/concepts/${modelVersion}/${deidSha256.slice(0, 2)}/${deidSha256}.json`;
  }
  /** De-identified JPEGs, content-addressed by the sha256 of their bytes. */
  deidImage(sha256: string): string {
    return `work/images/${sha256.slice(0, 2)}/${sha256}.jpg`;
  }
  /** The concept model's input pixels for a de-identified JPEG, derived when QC decodes it. */
  conceptInput(deidSha256: string): string {
    return `work/concept-inputs/${deidSha256.slice(0, 2)}/${deidSha256}.rgb`;
  }
  /** What the current release was built from (input hash, manifest, leak scan), to skip identical rebuilds. */
  get releaseState(): string {
    return 'private/release-state.json';
  }
  /** The benchmark's ground truth and supplement, for the scoring tool: never published. */
  benchmarkTruth(file: string): string {
    return `private/benchmark/${file}`;
  }
  /** The private catalog of every release version: index.json and per version its snapshot, CHANGES.md and manifest. */
  catalog(file: string): string {
    return `private/releases/${file}`;
  }
  /** The frozen benchmark split: every lesion ever assigned and its side, so no lesion ever changes side. */
  get splitState(): string {
    return 'private/split/state.json';
  }
  /** What a step of a workflow run read as the previous build's state (run-base.ts); `runId` '' for the step's folder. */
  runBase(step: string, runId: string): string {
    return runId === '' ? `private/run-base/${step}/` : `private/run-base/${step}/${runId}.json`;
  }
  /** A release whose leak scan found PHI, moved aside, never published. */
  quarantine(name: string): string {
    return `private/quarantine/${name}`;
  }
  /** Private reports for curators (exclusions.csv). */
  privateReport(file: string): string {
    return `private/reports/${file}`;
  }
  /** Curators' review decisions: one object per decision, never rewritten (an object store has no append). */
  reviewDecision(file: string): string {
    return `private/review/decisions/${file}`;
  }
  /** The QC report (de-identified thumbnails and scores only). */
  report(file: string): string {
    return `reports/${file}`;
  }
  /** A file of the release folder. */
  releaseFile(file: string): string {
    return `${this.release}/${file}`;
  }
}
