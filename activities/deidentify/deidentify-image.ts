import sharp from 'sharp';
import { DEFAULT_IMAGE_FORMATS, type ImageFormat } from '../../schemas/image-format.ts';
import { detectImageFormat } from './image-format.ts';
import { metadataSegments } from '../storage/jpeg/jpeg-segments.ts';
import { needsPixelTransform, stripJpeg, verifyClean, type StrippedJpeg } from '../storage/jpeg/strip-jpeg.ts';

export interface DeidentifiedImage {
  jpeg: Buffer;
  /** the source's format, by content */
  format: ImageFormat;
  orientation: number;
  /** 'lossless': metadata segments removed, entropy-coded data untouched; 'reencoded': pixels transformed */
  path: 'lossless' | 'reencoded';
  /** why the pixels had to be transformed (orientation, non-sRGB ICC profile, not a JPEG) */
  reasons: string[];
  /** names of the metadata the source carried and the output does not (never their values) */
  removedSegments: string[];
}

export class UndecodableImage extends Error {}

/** The bytes are not one of the image formats the config allows (judged by content, not name). */
export class UnsupportedFormat extends Error {}

/** Processing failed on this image's own bytes in a way no decoder check foresaw (a decoder or a QC measure threw): the image is excluded, the batch goes on. */
export class ImageCrash extends Error {}

const JPEG_QUALITY = 95;

/**
 * De-identifies an image of an allowed format (by content: UnsupportedFormat otherwise). A JPEG whose pixels are already upright sRGB keeps its compressed data
 * byte for byte: only decoding segments (and JFIF) are copied, so it decodes to exactly the same
 * pixels. Otherwise (EXIF orientation, another colour profile, PNG, TIFF) the pixels are oriented,
 * converted to sRGB and encoded afresh. Either output is re-parsed segment by segment before use;
 * decoding it is QC's job (measureImage), so each image is decoded once.
 */
export async function deidentifyImage(source: Uint8Array, allowed: readonly ImageFormat[] = DEFAULT_IMAGE_FORMATS): Promise<DeidentifiedImage> {
  const found = detectImageFormat(source);
  const detected = allowed.find((f) => f === found);
  if (!detected) {
    throw new UnsupportedFormat(found ? `content is ${found}, not one of the allowed image formats (${allowed.join(', ')})` : `content is not a known image format (allowed: ${allowed.join(', ')})`);
  }
  let format: string | undefined;
  try {
    format = (await sharp(source).metadata()).format;
  } catch (err) {
    throw new UndecodableImage((err as Error).message);
  }
  // libvips names TIFF 'tiff' and JPEG 'jpeg', like detectImageFormat; any other answer means a decoder sees another format.
  if (format !== detected) throw new UndecodableImage(`content starts as ${detected} but decodes as ${format}`);
  const stripped = format === 'jpeg' ? tryLossless(source) : undefined;
  const result: Stripped = stripped
    ? { jpeg: stripped.jpeg, orientation: 1, path: 'lossless', reasons: [], removedSegments: stripped.removed }
    : await reencode(source, format);
  // The lossless rewrite hands over the bits it decoded, so its output is checked without a second decode.
  verifyClean(stripped ?? result.jpeg);
  return { ...result, format: detected };
}

type Stripped = Omit<DeidentifiedImage, 'format'>;

function tryLossless(source: Uint8Array): StrippedJpeg | undefined {
  try {
    if (needsPixelTransform(source).reasons.length > 0) return undefined;
    return stripJpeg(source);
  } catch {
    return undefined; // a JPEG this reader cannot rewrite losslessly is decoded and re-encoded instead
  }
}

async function reencode(source: Uint8Array, format: string | undefined): Promise<Stripped> {
  try {
    const needs = format === 'jpeg' ? needsPixelTransform(source) : { orientation: 1, reasons: [`${format} input`] };
    // sharp converts from an embedded profile to sRGB on output and writes no metadata unless asked.
    const jpeg = await sharp(source, { failOn: 'error' }).autoOrient().toColourspace('srgb').removeAlpha().jpeg({ quality: JPEG_QUALITY }).toBuffer();
    return { jpeg, orientation: needs.orientation, path: 'reencoded', reasons: needs.reasons, removedSegments: sourceMetadata(source) };
  } catch (err) {
    throw new UndecodableImage((err as Error).message);
  }
}

function sourceMetadata(source: Uint8Array): string[] {
  try {
    return [...new Set(metadataSegments(source).map((s) => (s.identifier ? `${s.name}:${s.identifier}` : s.name)))].sort();
  } catch {
    return []; // not a JPEG (PNG, TIFF): decoded and re-encoded, so none of its metadata survives either
  }
}
