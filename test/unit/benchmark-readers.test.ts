import { describe, expect, it } from 'vitest';
import { buildScoreReport } from '../../activities/benchmark/score-report.ts';
import { scoreCases } from '../../activities/benchmark/score.ts';
import { pickCases, toCases } from '../../activities/benchmark/scoring-cases.ts';
import { ScoreReport, type LesionTruth, type PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES, type DiagnosisClass } from '../../schemas/release.ts';

const id = (n: number) => `IL_${String(n).padStart(7, '0')}`;
// 12 lesions: MEL, NV, BCC repeating.
const TRUTH: LesionTruth[] = Array.from({ length: 12 }, (_, i) => ({ lesion_id: id(i + 1), diagnosis_class: (['MEL', 'NV', 'BCC'] as const)[i % 3]! }));
const oneHot = (lesion: number, cls: DiagnosisClass, p = 1): PredictionRow => ({ lesion_id: id(lesion), ...Object.fromEntries(CLASSES.map((c) => [c, c === cls ? p : 0])) }) as PredictionRow;
const wrong = (cls: DiagnosisClass): DiagnosisClass => (cls === 'MEL' ? 'NV' : 'MEL');

/** The model is right on lesions 1-8 and wrong on 9-12, at 0.9. */
const MODEL = TRUTH.map((t, i) => oneHot(i + 1, i < 8 ? t.diagnosis_class : wrong(t.diagnosis_class), 0.9));
/** Reader 1 reads every lesion and gets 1-6 right; reader 2 reads only lesions 7-12 and gets them all right. */
const READER_1 = TRUTH.map((t, i) => oneHot(i + 1, i < 6 ? t.diagnosis_class : wrong(t.diagnosis_class)));
const READER_2 = TRUTH.slice(6).map((t, i) => oneHot(i + 7, t.diagnosis_class));

describe('reader study', () => {
  const report = ScoreReport.parse(
    buildScoreReport({
      truth: TRUTH,
      predictions: { name: 'model.csv', rows: MODEL },
      attributes: null,
      readers: [
        { name: 'derm-1', file: 'r1.csv', rows: READER_1 },
        { name: 'derm-2', file: 'r2.csv', rows: READER_2 },
      ],
      bootstrap: { resamples: 100, seed: 1 },
    }),
  );
  const study = report.reader_study!;
  const [first, second] = study.readers;

  it('scores each reader on the lesions they read, and says which', () => {
    expect(first).toMatchObject({ reader: 'derm-1', file: 'r1.csv', unread_lesion_ids: [] });
    expect(first!.metrics.lesions).toBe(12);
    expect(second!.lesion_ids).toEqual([7, 8, 9, 10, 11, 12].map(id));
    expect(second!.unread_lesion_ids).toEqual([1, 2, 3, 4, 5, 6].map(id));
    expect(second!.metrics).toMatchObject({ lesions: 6, overall: 1, aggregate: { balanced_accuracy: 1 } });
  });

  it('scores the model on each reader\'s lesions, not on all of them', () => {
    const model = toCases(TRUTH, MODEL);
    expect(second!.model).toEqual(scoreCases(pickCases(model, [6, 7, 8, 9, 10, 11])));
    expect(first!.model.overall).toBe(report.overall);
    // On lesions 7-12 the model gets 7 and 8 right, the reader all six: the model is behind there.
    expect(second!.model_vs_reader.difference).toBeCloseTo(second!.model.overall! - 1, 15);
    expect(second!.model_vs_reader).toMatchObject({ a: 'model.csv', b: 'derm-2', lesions: 6 });
  });

  it('averages over readers, and compares the model with the reader mean', () => {
    expect(study.reader_mean.overall).toBeCloseTo((first!.metrics.overall! + 1) / 2, 15);
    expect(study.reader_mean.model_overall).toBeCloseTo((first!.model.overall! + second!.model.overall!) / 2, 15);
    expect(study.model_vs_readers).toMatchObject({ b: 'reader mean', lesions: 12 });
    expect(study.model_vs_readers.difference).toBeCloseTo((first!.model_vs_reader.difference + second!.model_vs_reader.difference) / 2, 15);
    expect(study.model_vs_readers.p_value).toBeGreaterThan(0);
  });
});
