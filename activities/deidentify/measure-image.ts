import sharp from 'sharp';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import type { QcScores } from '../../schemas/records.ts';
import { sha256 } from '../storage/files.ts';
import { boxResize, perceptualHash } from '../storage/perceptual-hash.ts';
import { encodeThumbnail, SIMILARITY_SIDE } from '../../schemas/similarity-thumbnail.ts';
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
  /** SIMILARITY_SIDE² grey thumbnail (base64) that assembly confirms near-duplicate candidates on */
  similarityThumbnail: string;
}

/**
 * Decodes a de-identified JPEG once, at half resolution (libjpeg's DCT scaling makes that several
 * times cheaper than a full decode), and derives everything later stages need from those pixels: the
 * QC scores (sharpness and exposure on the luma, colour statistics and modality on a thumbnail, a
 * perceptual hash, a hash of the decoded pixels), the concept model's input and a small grey
 * thumbnail for confirming near duplicates.
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
  const thumbnailLuma = toLuma(rgb.data, rgb.channels);
  const stats = imageStatistics(rgb, { width, height });
  return {
    scores: {
      ...lumaScores({ data: luma, width: half.width, height: half.height }),
      width,
      height,
      // pHash only reads a 32x32 average of the luma: the thumbnail gives it for a fraction of the work.
      phash: perceptualHash(thumbnailLuma, rgb.width, rgb.height),
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
    similarityThumbnail: encodeThumbnail(Uint8Array.from(boxResize(thumbnailLuma, rgb.width, rgb.height, SIMILARITY_SIDE), Math.round)),
  };
}

/**
 * Size, exposure (mean luma), sharpness (variance of the Laplacian) and the sharpness ratio of a luma
 * image: the variance of the Laplacian over that of the image at half the size. Detail that is sharp
 * at one scale is sharp at the next, so the coarser scale normalises away how much texture the
 * subject has, which the absolute sharpness cannot: a blur removes the finest scale first.
 */
export function lumaScores({ data: luma, width, height }: LumaImage): Pick<QcScores, 'width' | 'height' | 'meanLuma' | 'sharpness' | 'sharpnessRatio'> {
  const sharpness = laplacianVariance(luma, width, height);
  const halfWidth = width >> 1;
  const halfHeight = height >> 1;
  const coarser = laplacianVariance(halveLuma(luma, width, halfWidth, halfHeight), halfWidth, halfHeight);
  return { width, height, meanLuma: round(mean(luma)), sharpness: round(sharpness), sharpnessRatio: round(coarser > 0 ? sharpness / coarser : 0) };
}

/** 2x2 box average (the luma at half the size), as floats. */
function halveLuma(luma: ArrayLike<number>, width: number, halfWidth: number, halfHeight: number): Float64Array {
  const out = new Float64Array(halfWidth * halfHeight);
  for (let y = 0; y < halfHeight; y++)
    for (let x = 0; x < halfWidth; x++) {
      const i = 2 * y * width + 2 * x;
      out[y * halfWidth + x] = (luma[i]! + luma[i + 1]! + luma[i + width]! + luma[i + width + 1]!) / 4;
    }
  return out;
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
function laplacianVariance(luma: ArrayLike<number>, width: number, height: number): number {
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

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
