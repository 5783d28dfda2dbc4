import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { runBuild } from '../../scripts/run-build.ts';
import { toolBinary } from '../../scripts/tool-binary.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';

const mlcroissant = (() => {
  try {
    return toolBinary('mlcroissant', 'mlcroissant');
  } catch {
    return undefined;
  }
})();
const python = mlcroissant && /^#!(\S*python[\d.]*)\s*$/.exec(readFileSync(mlcroissant, 'utf8').split('\n')[0]!)?.[1];
const ready = python !== undefined && spawnSync(python, ['-c', 'import datasets, PIL, mlcroissant, pandas, pyarrow'], { encoding: 'utf8' }).status === 0;

/** Runs a Python snippet in the tools venv; its last stdout line is JSON. */
function py(script: string, ...args: string[]): unknown {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'milk-hf-cache-'));
  try {
    const result = spawnSync(python!, ['-c', script, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, HF_HOME: cache, HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1' } });
    if (result.status !== 0) throw new Error(result.stderr.slice(-2000));
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

describe.skipIf(!ready)(`a built release loads with each tool${ready ? '' : ' (skipped: mlcroissant, datasets, Pillow or pandas missing from .tools/venv; npm install adds them)'}`, () => {
  it('DuckDB views, pandas and pyarrow, mlcroissant (validate, training_images), Hugging Face datasets, and a byte-identical manifest on rewrite', async () => {
    const fixture = await buildFixture('loaders', { seed: 5, lesions: 12 });
    const { summary } = await runBuild(fixture.loaded, { embeddedWorker: true });
    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const benchmarkLesions = JSON.parse(readFileSync(path.join(release.dir, 'RELEASE.json'), 'utf8')).benchmarkLesions as number;
    const testImages = release.csv('MILK10k_Test_Metadata.csv').length;
    const trainImages = release.csv('MILK10k_Training_Metadata.csv').length;
    expect(trainImages + testImages).toBe(summary.release.images);

    // DuckDB
    const instance = await DuckDBInstance.create(path.join(release.dir, 'milk10k.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const [counts] = (await connection.runAndReadAll(
      "SELECT (SELECT count(*) FROM all_images) AS all_images, (SELECT count(*) FROM all_lesions) AS all_lesions, (SELECT count(*) FROM all_lesions WHERE split = 'benchmark' AND diagnosis_class IS NULL) AS unlabelled, (SELECT count(*) FROM duckdb_columns() WHERE NOT internal AND (comment IS NULL OR comment = '')) AS uncommented",
    )).getRowObjectsJson();
    connection.closeSync();
    instance.closeSync();
    expect(counts).toEqual({ all_images: String(summary.release.images), all_lesions: String(summary.release.lesions), unlabelled: String(benchmarkLesions), uncommented: '0' });

    // pandas and pyarrow: the Parquet tables join on lesion_id, benchmark images with benchmark_lesions, and the official CSV reads as published
    const frames = py(`
import json, sys, os
import pandas as pd, pyarrow.parquet as pq
t = os.path.join(sys.argv[1], 'tables')
images, lesions, bench = (pd.read_parquet(os.path.join(t, f'{n}.parquet')) for n in ('images', 'lesions', 'benchmark_lesions'))
joined = images.merge(pd.concat([lesions, bench]), on='lesion_id', how='left', validate='many_to_one', indicator=True)
truth = pd.read_csv(os.path.join(sys.argv[1], 'MILK10k_Training_GroundTruth.csv'))
print(json.dumps({'images': len(images), 'lesions': len(lesions) + len(bench), 'unjoined': int((joined['_merge'] == 'left_only').sum()),
  'schema_rows': pq.ParquetFile(os.path.join(t, 'images.parquet')).metadata.num_rows, 'truth_rows': len(truth), 'truth_one_hot': bool((truth.drop(columns='lesion_id').sum(axis=1) == 1).all())}))
`, release.dir) as Record<string, unknown>;
    expect(frames).toEqual({ images: summary.release.images, lesions: summary.release.lesions, unjoined: 0, schema_rows: summary.release.images, truth_rows: summary.release.lesions - benchmarkLesions, truth_one_hot: true });

    // mlcroissant
    const croissant = path.join(release.dir, 'croissant.json');
    const validate = spawnSync(mlcroissant!, ['validate', '--jsonld', croissant], { encoding: 'utf8', timeout: 120_000 });
    expect(validate.status, validate.stderr.slice(-2000)).toBe(0);
    const records = py(`
import json, sys, itertools
import mlcroissant as mlc
rs = list(itertools.islice(mlc.Dataset(sys.argv[1]).records('training_images'), 3))
print(json.dumps([{k.split('/', 1)[1]: (list(v.size) if hasattr(v, 'size') and hasattr(v, 'mode') else v.decode() if isinstance(v, bytes) else v) for k, v in r.items()} for r in rs]))
`, croissant) as Record<string, unknown>[];
    expect(records).toHaveLength(3);
    const truth = new Map(release.csv('MILK10k_Training_GroundTruth.csv').map((r) => [r.lesion_id, Object.entries(r).find(([k, v]) => k !== 'lesion_id' && v === '1.0')![0]]));
    for (const r of records) {
      expect(r.isic_id).toMatch(/^ISIC_\d{7}$/);
      expect(r.diagnosis_class).toBe(truth.get(String(r.lesion_id)));
      expect((r.image as number[])[0]).toBeGreaterThan(0);
    }

    // Hugging Face datasets, from the dataset card
    const hf = py(`
import json, sys
from datasets import load_dataset
d = load_dataset(sys.argv[1])
print(json.dumps({s: {'n': len(d[s]), 'labels': sorted({str(x) for x in d[s]['diagnosis_class']}), 'first': {k: v for k, v in d[s][0].items() if k != 'image'}} for s in d}))
`, release.dir) as Record<string, { n: number; labels: string[]; first: Record<string, unknown> }>;
    expect(hf.train!.n).toBe(trainImages);
    expect(hf.test!.n).toBe(testImages);
    expect(hf.test!.labels).toEqual(['None']);
    expect(hf.train!.labels).not.toContain('None');
    expect(hf.train!.first.diagnosis_class).toBe(truth.get(String(hf.train!.first.lesion_id)));

    // a rewrite of the same version (the release folder touched) gives the same manifest: datePublished is the version's recorded time
    const manifest = release.manifest();
    rmSync(path.join(release.dir, 'DATASHEET.html'));
    const again = await runBuild(fixture.reload(), { embeddedWorker: true });
    expect(again.summary.release).toMatchObject({ reused: false, newVersion: false, version: summary.release.version });
    expect(release.manifest()).toBe(manifest);
  });
});
