import { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import type { Storage } from '../../activities/storage/storage.ts';
import { splitProportions } from '../../activities/split/split-proportions.ts';
import type { SplitProportions } from '../../schemas/split.ts';

/** The benchmark-vs-training proportions of class, centre and skin tone of the latest recorded release. */
export async function latestSplitProportions(storage: Storage): Promise<SplitProportions> {
  const { snapshot } = await new ReleaseCatalog(storage).read('latest');
  return splitProportions(snapshot.lesions, snapshot.lesions.map((l) => ({ lesion_id: l.lesion_id, split: l.split })));
}

/** One line per stratum: every value's benchmark / training share, and the largest gap. */
export function proportionLines(proportions: SplitProportions): string[] {
  return proportions.strata.map(
    (s) =>
      `  ${s.stratum}: max difference ${s.maxDifferencePp.toFixed(2)} pp; ` +
      s.values.map((v) => `${v.value} ${v.benchmarkPct.toFixed(1)}/${v.trainPct.toFixed(1)}%`).join(', '),
  );
}
