import type { CentreStyle } from './centre-style.ts';
import type { Random } from './random.ts';
import type { SynthKeyRow } from './write-centre-drop.ts';

/** Draws of an unused id before the format is taken to be exhausted. */
const MAX_DRAWS = 10_000;

/**
 * A centre's local patient and lesion ids, patients drawn without replacement in the centre's own
 * format: random draws alone collide at a few thousand lesions (6 random digits: even odds at about
 * 1,200 patients), and two source lesions would then share one local lesion.
 */
export class LocalIds {
  private readonly patients = new Set<string>();

  constructor(
    private readonly style: CentreStyle,
    private readonly random: Random,
  ) {}

  /** Ids of the n-th lesion of the drop: a new patient with one lesion. */
  next(n: number): { patientId: string; lesionId: string } {
    for (let draw = 0; draw < MAX_DRAWS; draw++) {
      const patientId = this.style.patientId(this.random, n);
      if (this.patients.has(patientId)) continue;
      this.patients.add(patientId);
      return { patientId, lesionId: this.style.lesionId(this.random, patientId, 1) };
    }
    throw new Error(`no unused patient id in ${MAX_DRAWS} draws after ${this.patients.size} patients: the centre's id format is too small for this many lesions`);
  }
}

/**
 * The last line of defence behind LocalIds and the file-name retries: every (centre, patient, lesion)
 * belongs to one written lesion (source lesion and copy) and every file name of a centre to one image
 * (case-insensitively, as on the file systems the centres use). Throws naming the first clash.
 */
export function assertUniqueIds(images: Iterable<Pick<SynthKeyRow, 'centre' | 'file' | 'patient_id' | 'local_lesion_id' | 'source_lesion_id' | 'copy'>>): void {
  const lesions = new Map<string, string>();
  const files = new Set<string>();
  for (const image of images) {
    const local = `${image.centre}: patient ${image.patient_id} lesion ${image.local_lesion_id}`;
    const written = `source lesion ${image.source_lesion_id} copy ${image.copy}`;
    const owner = lesions.get(local);
    if (owner !== undefined && owner !== written) throw new Error(`${local} was given to both ${owner} and ${written}`);
    lesions.set(local, written);
    const file = `${image.centre}/${image.file.toLowerCase()}`;
    if (files.has(file)) throw new Error(`${image.centre}: two images were written to ${image.file}`);
    files.add(file);
  }
}
