/** A lesion as the generator knows it before it is dressed up as a centre export: public MILK10k values. */
export interface SourceLesion {
  /** MILK10k lesion id, or a synthetic one */
  lesionId: string;
  ageApprox: number | undefined;
  sex: string | undefined;
  skinTone: number | undefined;
  site: string | undefined;
  diagnosis: string;
  confirmType: string;
  invasionThickness: string | undefined;
  /** k > 0: the k-th transformed copy of the lesion `lesionId` (`milk synth --scale`); absent: the lesion as published */
  copy?: number;
  images: SourceImage[];
}

export interface SourceImage {
  isicId: string;
  imageType: 'clinical: close-up' | 'dermoscopic';
  manipulation: string;
  /** JPEG bytes, loaded lazily so a 1,000-lesion sample is not held in memory at once */
  load(): Promise<Buffer>;
}
