import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sha256 } from '../../activities/storage/files.ts';
import { BENCHMARK_TRUTH_FILES, SPLIT_FILES, SPLITS } from '../../schemas/release.ts';

/** Reads what a build left: the public release and, for checks only, the private id map and exclusions report. */
export class BuiltRelease {
  constructor(readonly storageRoot: string) {}

  get dir(): string {
    return path.join(this.storageRoot, 'release');
  }

  csv(name: string): Record<string, string>[] {
    return parse(readFileSync(path.join(this.dir, name)), { columns: true }) as Record<string, string>[];
  }

  headerOf(file: string): string {
    return readFileSync(file, 'utf8').split('\n')[0]!;
  }

  manifest(): string {
    return readFileSync(path.join(this.dir, 'MANIFEST.sha256'), 'utf8');
  }

  /** Every released JPEG, of the training set and of the benchmark. */
  jpegs(): string[] {
    return SPLITS.flatMap((split) => {
      const root = path.join(this.dir, SPLIT_FILES[split].input);
      if (!existsSync(root)) return [];
      // (each lesion's folder; beside them, the folder's metadata.parquet for Hugging Face imagefolder)
      return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((lesion) => readdirSync(path.join(root, lesion.name)).map((f) => path.join(root, lesion.name, f)));
    });
  }

  /** The metadata rows of every released image, training and benchmark, each with its split. */
  metadata(): (Record<string, string> & { split: string })[] {
    return SPLITS.flatMap((split) => this.csv(SPLIT_FILES[split].metadata).map((row) => ({ ...row, split })));
  }

  /** The benchmark's labels (`groundTruth` or `supplement`), which only the private side holds. */
  benchmarkTruth(file: keyof typeof BENCHMARK_TRUTH_FILES): Record<string, string>[] {
    return parse(readFileSync(path.join(this.storageRoot, 'private', 'benchmark', BENCHMARK_TRUTH_FILES[file])), { columns: true }) as Record<string, string>[];
  }

  /** Ground truth (`groundTruth`) or supplement rows of every released lesion: public for training, private for the benchmark. */
  labels(file: keyof typeof BENCHMARK_TRUTH_FILES): Record<string, string>[] {
    const training = file === 'groundTruth' ? 'MILK10k_Training_GroundTruth.csv' : 'MILK10k_Training_Supplement.csv';
    return [...this.csv(training), ...this.benchmarkTruth(file)];
  }

  idMap(): { lesions: Record<string, string>; images: Record<string, string> } {
    return JSON.parse(readFileSync(path.join(this.storageRoot, 'private', 'public-ids.json'), 'utf8'));
  }

  exclusions(): Record<string, string>[] {
    return parse(readFileSync(path.join(this.storageRoot, 'private', 'reports', 'exclusions.csv')), { columns: true }) as Record<string, string>[];
  }

  /** Every file of the release as bytes, for leak scans. */
  allFiles(): { file: string; bytes: Buffer }[] {
    return readdirSync(this.dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .map((file) => ({ file, bytes: readFileSync(file) }));
  }
}

export const fileSha256 = (file: string) => sha256(readFileSync(file));
