import sharp from 'sharp';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import type { QcScores } from '../../schemas/records.ts';
import { sha256 } from '../storage/files.ts';
import { UndecodableImage } from './deidentify-image.ts';
import { imageStatistics } from './image-statistics.ts';
import { modalityScore } from './modality.ts';

/** An 8-bit single-channel (luma) image, as sharp's `.greyscale().raw()` gives it. */
export interface LumaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Width of the thumbnail the colour statistics are computed on (cleanvision also works on small images). */
const THUMBNAIL_WIDTH = 128;

export interface MeasuredImage {
  scores: QcScores;
  /** CONCEPT_INPUT_SIDE² RGB pixels, interleaved: what the concept stage feeds its model */
  conceptInput: Buffer;
}

/**
 * Decodes a de-identified JPEG once, at half resolution (libjpeg's DCT scaling makes that several
 * times cheaper than a full decode), and derives everything later stages need from those pixels: the
 * QC scores (sharpness and exposure on the luma, colour statistics and modality on a thumbnail, a
 * perceptual hash, a hash of the decoded pixels) and the concept model's input.
 */
export async function measureImage(jpeg: Uint8Array): Promise<MeasuredImage> {
  let size;
  let decoded;
  try {
    size = await sharp(jpeg).metadata();
    const halfWidth = Math.max(1, Math.ceil((size.width ?? 2) / 2));
    decoded = await sharp(jpeg, { failOn: 'error' }).toColourspace('srgb').removeAlpha().resize({ width: halfWidth }).raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UndecodableImage((err as Error).message);
  }
  const width = size.width ?? decoded.info.width;
  const height = size.height ?? decoded.info.height;
  const half = { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels };
  const raw = (data: Buffer, info: { width: number; height: number; channels: number }) => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } });
  const thumbnail = await raw(decoded.data, half).resize({ width: THUMBNAIL_WIDTH }).raw().toBuffer({ resolveWithObject: true });
  const rgb = { data: thumbnail.data, width: thumbnail.info.width, height: thumbnail.info.height, channels: thumbnail.info.channels };
  const conceptInput = await raw(thumbnail.data, rgb).resize(CONCEPT_INPUT_SIDE, CONCEPT_INPUT_SIDE, { fit: 'fill' }).raw().toBuffer();
  const luma = toLuma(decoded.data, half.channels);
  const stats = imageStatistics(rgb, { width, height });
  return {
    scores: {
      ...lumaScores({ data: luma, width: half.width, height: half.height }),
      width,
      height,
      // pHash only reads a 32x32 average of the luma: the thumbnail gives it for a fraction of the work.
      phash: perceptualHash(toLuma(rgb.data, rgb.channels), rgb.width, rgb.height),
      pixelSha256: sha256(decoded.data),
      dark: round(stats.dark),
      light: round(stats.light),
      lowInformation: round(stats.lowInformation),
      grayscale: round(stats.grayscale),
      oddAspectRatio: round(stats.oddAspectRatio),
      colourCast: round(stats.colourCast),
      modality: round(modalityScore(rgb)),
    },
    conceptInput,
  };
}

/** Size, exposure (mean luma) and sharpness (variance of the Laplacian) of a luma image. */
export function lumaScores({ data: luma, width, height }: LumaImage): Pick<QcScores, 'width' | 'height' | 'meanLuma' | 'sharpness'> {
  return { width, height, meanLuma: round(mean(luma)), sharpness: round(laplacianVariance(luma, width, height)) };
}

/** Rec. 601 luma in 16-bit fixed point: as exact as the float formula to the nearest level, and fast. */
function toLuma(rgb: Uint8Array, channels: number): Uint8Array {
  const luma = new Uint8Array(rgb.length / channels);
  for (let i = 0, p = 0; i < luma.length; i++, p += channels) luma[i] = (19595 * rgb[p]! + 38470 * rgb[p + 1]! + 7471 * rgb[p + 2]! + 32768) >> 16;
  return luma;
}

function mean(values: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** The common "variance of Laplacian" focus measure (Pech-Pacheco et al. 2000) on a 4-neighbour kernel. */
function laplacianVariance(luma: Uint8Array, width: number, height: number): number {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const m = sum / n;
  return sumSq / n - m * m;
}

const HASH_SIZE = 32;
const COSINES = (() => {
  const table = new Float64Array(8 * HASH_SIZE);
  for (let u = 0; u < 8; u++) for (let x = 0; x < HASH_SIZE; x++) table[u * HASH_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_SIZE));
  return table;
})();

/**
 * pHash (Zauner 2010): box-downsample the luma to 32x32, take the 8x8 lowest DCT frequencies, and
 * set one bit per coefficient above their median (DC excluded from the median). 64 bits, hex.
 */
export function perceptualHash(luma: Uint8Array, width: number, height: number): string {
  const small = new Float64Array(HASH_SIZE * HASH_SIZE);
  for (let y = 0; y < HASH_SIZE; y++) {
    const y0 = Math.floor((y * height) / HASH_SIZE);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / HASH_SIZE));
    for (let x = 0; x < HASH_SIZE; x++) {
      const x0 = Math.floor((x * width) / HASH_SIZE);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / HASH_SIZE));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += luma[yy * width + xx] ?? 0;
      small[y * HASH_SIZE + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  const coefficients: number[] = [];
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < HASH_SIZE; y++) {
        const cy = COSINES[v * HASH_SIZE + y]!;
        for (let x = 0; x < HASH_SIZE; x++) sum += small[y * HASH_SIZE + x]! * COSINES[u * HASH_SIZE + x]! * cy;
      }
      coefficients.push(sum);
    }
  }
  const median = [...coefficients.slice(1)].sort((a, b) => a - b)[31]!;
  let hash = 0n;
  for (const c of coefficients) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
