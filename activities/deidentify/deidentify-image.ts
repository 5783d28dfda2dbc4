import sharp from 'sharp';
import type { LumaImage } from '../qc/measure-image.ts';
import { bytesAfterEoi, metadataSegments } from './jpeg-segments.ts';

export interface DeidentifiedImage {
  jpeg: Buffer;
  /** luma of the decoded, upright pixels the JPEG was encoded from (for QC, so each image is decoded once) */
  luma: LumaImage;
  orientation: number;
  /** names of the metadata segments the source carried and the release does not (never their values) */
  removedSegments: string[];
}

export class UndecodableImage extends Error {}

const JPEG_QUALITY = 92;

/**
 * Applies the EXIF orientation to the pixels, then encodes a fresh JPEG with no metadata at all,
 * and proves it by re-reading the output's segments.
 */
export async function deidentifyImage(source: Uint8Array): Promise<DeidentifiedImage> {
  let decoded;
  let orientation;
  try {
    const input = sharp(source, { failOn: 'error' });
    orientation = (await input.metadata()).orientation ?? 1;
    decoded = await input.autoOrient().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UndecodableImage((err as Error).message);
  }
  const { width, height, channels } = decoded.info;
  const pixels = () => sharp(decoded.data, { raw: { width, height, channels } });
  const [jpeg, luma] = await Promise.all([
    pixels().jpeg({ quality: JPEG_QUALITY }).toBuffer(),
    // Rec. 601 luma in libvips' C code: several times faster than a JS loop over RGB.
    pixels().greyscale().raw().toBuffer(),
  ]);
  const left = metadataSegments(jpeg);
  if (left.length > 0 || bytesAfterEoi(jpeg) > 0) {
    throw new Error(`de-identified JPEG still carries ${left.map((s) => s.name).join(', ') || 'bytes after EOI'}`);
  }
  return { jpeg, luma: { data: luma, width, height }, orientation, removedSegments: sourceMetadata(source) };
}

function sourceMetadata(source: Uint8Array): string[] {
  try {
    const removed = new Set(metadataSegments(source).map((s) => (s.identifier ? `${s.name}:${s.identifier}` : s.name)));
    return [...removed].sort();
  } catch {
    // Not a JPEG (PNG, TIFF): it is decoded and re-encoded, so none of its metadata survives either.
    return [];
  }
}
