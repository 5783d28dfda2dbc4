import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { runBuild } from '../../scripts/run-build.ts';
import { Random } from '../../scripts/synth/random.ts';
import { syntheticLesions } from '../../scripts/synth/synthetic-lesions.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';
import { BuiltRelease, fileSha256 } from '../helpers/release-reader.ts';

const SEED = 66;
const LESIONS = 24;

/** A centre that exports one folder per patient, a JSON sidecar beside each image: defined in YAML only. */
const OSLO = `
id: oslo
name: Hudavdelingen, Oslo
source: { type: folder, path: data/drops/oslo }
dialect:
  layout: sidecar
  dateFormat: dd.MM.yyyy
  columns:
    patientId: pasientnr
    lesionId: lesjonsnr
    imageFile: bildefil
    imageType: bildetype
    diagnosis: diagnose
    patientName: navn
    birthDate: fodselsdato
    examDate: undersokelsesdato
    sex: kjonn
    site: lokalisasjon
    skinTone: hudtype
    confirmType: bekreftelse
    invasionThickness: tumortykkelse
    manipulation: bearbeiding
  values:
    imageType: { klinisk: "clinical: close-up", dermatoskopisk: dermoscopic }
    sex: { M: male, K: female }
    site: { hode/hals: head_neck_face, truncus: trunk, overekstremitet: upper_extremity, underekstremitet: lower_extremity, hånd: hand, fot: foot, genitalia: genital }
    confirmType: { histologi: histopathology, klinisk vurdering: single contributor clinical assessment }
    manipulation: { ingen: instrument only, bearbeidet: altered }
    diagnosis:
      Basalcellekarsinom: Basal cell carcinoma
      Seboreisk keratose: Seborrheic keratosis
      Aktinisk keratose: Solar or actinic keratosis
      Malignt melanom: Melanoma Invasive
`;

/** A centre that exports one JSON object per line, ages and skin tones as numbers. */
const LISBOA = `
id: lisboa
name: Serviço de Dermatologia, Lisboa
source: { type: folder, path: data/drops/lisboa }
dialect:
  layout: jsonl
  metadataFile: exportacao/lesoes.jsonl
  dateFormat: yyyy/MM/dd
  columns:
    patientId: numero_processo
    lesionId: lesao
    imageFile: ficheiro
    imageType: tipo_imagem
    diagnosis: diagnostico
    patientName: nome
    examDate: data_exame
    age: idade
    sex: sexo
    site: localizacao
    skinTone: fototipo
    confirmType: confirmacao
    invasionThickness: espessura
    manipulation: manipulacao
  values:
    imageType: { clinica: "clinical: close-up", dermatoscopica: dermoscopic }
    sex: { masculino: male, feminino: female }
    site: { cabeca_pescoco: head_neck_face, tronco: trunk, membro_superior: upper_extremity, membro_inferior: lower_extremity, mao: hand, pe: foot }
    confirmType: { histologia: histopathology, clinica: single contributor clinical assessment }
    diagnosis:
      Carcinoma basocelular: Basal cell carcinoma
      Nevo: Nevus
      Queratose seborreica: Seborrheic keratosis
`;

/** The repository's temporal.yml plus the two centres above: adding a centre is a config change only. */
function sevenCentreConfig(): string {
  const raw = parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8'));
  raw.centres.push(parseYaml(OSLO), parseYaml(LISBOA));
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'milk-seven-centres-')), 'temporal.yml');
  writeFileSync(file, toYaml(raw));
  return file;
}

describe('a sixth (and seventh) centre from configuration alone', () => {
  it('builds a sidecar centre and a jsonl centre end to end, releasing their lesions with their metadata', { timeout: 300_000 }, async () => {
    const fixture = await buildFixture('sixth', { seed: SEED, lesions: LESIONS, config: sevenCentreConfig() });
    const centres = fixture.loaded.config.centres;
    expect(centres.map((c) => `${c.id}:${c.dialect.layout}`).slice(5)).toEqual(['oslo:sidecar', 'lisboa:jsonl']);
    const oslo = fixture.key.filter((k) => k.centre === 'oslo');
    const lisboa = fixture.key.filter((k) => k.centre === 'lisboa');
    expect(oslo.length).toBeGreaterThanOrEqual(6);
    expect(lisboa.length).toBeGreaterThanOrEqual(4);
    // One folder per patient, a sidecar beside each image, and no metadata file.
    for (const k of oslo) {
      expect(path.posix.dirname(k.file)).toBe(k.patient_id);
      const sidecar = JSON.parse(readFileSync(path.join(fixture.dir, 'oslo', k.file.replace(/\.jpg$/, '.json')), 'utf8'));
      expect(sidecar).toMatchObject({ pasientnr: k.patient_id, lesjonsnr: k.local_lesion_id });
      expect(sidecar.bildefil).toBeUndefined(); // implied by the sidecar's path
    }
    // A column the dialect does not map is kept out of the records and reported, not excluded.
    const extra = path.join(fixture.dir, 'oslo', oslo[0]!.file.replace(/\.jpg$/, '.json'));
    writeFileSync(extra, JSON.stringify({ ...JSON.parse(readFileSync(extra, 'utf8')), kamera: 'TG-6' }));

    const { summary } = await runBuild(fixture.reload(), { embeddedWorker: true });

    expect(summary.centres.map((c) => c.centre)).toEqual(centres.map((c) => c.id));
    for (const [id, images, metadataFiles] of [
      ['oslo', oslo.length, oslo.length],
      ['lisboa', lisboa.length, 1],
    ] as const) {
      const centre = summary.centres.find((c) => c.centre === id)!;
      expect(centre.retrieve).toMatchObject({ images, metadataFiles, excluded: 0 });
      expect(centre.parse).toMatchObject({ rows: images, records: images, excluded: 0, unknownColumns: id === 'oslo' ? 1 : 0 });
      expect(centre.images.processed).toBe(centre.retrieve.images);
    }
    const notes = readFileSync(path.join(fixture.loaded.storageRoot, 'private', 'lake', 'notes', 'oslo', 'parse.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(notes).toEqual([{ centre: 'oslo', file: oslo[0]!.file.replace(/\.jpg$/, '.json'), note: 'unknown-column', detail: 'kamera' }]);

    // Every lesion of the new centres is in the release, with the values its local wording stood for.
    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const ids = release.idMap();
    const groundTruth = new Set(release.labels('groundTruth').map((r) => r.lesion_id));
    const metadata = new Map(release.metadata().map((r) => [r.isic_id, r]));
    const supplement = new Map(release.labels('supplement').map((r) => [r.isic_id, r]));
    const source = new Map(syntheticLesions(LESIONS, new Random(SEED)).map((l) => [l.lesionId, l])); // what synthesise drew
    for (const k of [...oslo, ...lisboa]) {
      const lesionId = ids.lesions[`${k.centre}/${k.patient_id}/${k.local_lesion_id}`];
      expect(lesionId, `${k.centre} lesion ${k.local_lesion_id}`).toMatch(/^IL_\d{7}$/);
      expect(groundTruth.has(lesionId!)).toBe(true);
      const isicId = ids.images[`${k.centre}/${fileSha256(path.join(fixture.dir, k.centre, k.file))}`]!;
      const lesion = source.get(k.source_lesion_id)!;
      expect(metadata.get(isicId)).toMatchObject({ lesion_id: lesionId, image_type: k.image_type, sex: lesion.sex, site: lesion.site, skin_tone_class: String(lesion.skinTone) });
      if (lesion.ageApprox !== undefined) expect(Number(metadata.get(isicId)!.age_approx)).toBe(lesion.ageApprox);
      expect(supplement.get(isicId)).toMatchObject({ diagnosis_full: lesion.diagnosis });
    }
    expect(summary.release.exclusionsByReason).not.toHaveProperty('image:no-usable-row');
  });
});
