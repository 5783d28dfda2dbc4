import sharp from 'sharp';
import type { Random } from './random.ts';

/** How a copy is mirrored before its light jitter. */
export interface Mirror {
  /** left-right */
  flop: boolean;
  /** top-bottom */
  flip: boolean;
}

/**
 * Lightly transforms a photograph the way a second session of the same lesion might differ: a small
 * off-centre crop (2-6% of each side) resized back to the original size, the given mirroring, a
 * small brightness (±8%), saturation (±10%) and hue (±8°) shift, and a re-encode at JPEG quality
 * 85-95. The size is kept, so a copy passes the same QC as its source.
 */
export async function jitterImage(jpeg: Buffer, mirror: Mirror, random: Random): Promise<Buffer> {
  const { width, height } = await sharp(jpeg).metadata();
  if (!width || !height) throw new Error('jitterImage: the source JPEG has no size');
  const keep = 1 - (0.02 + random.next() * 0.04);
  const cropWidth = Math.round(width * keep);
  const cropHeight = Math.round(height * keep);
  return sharp(jpeg)
    .extract({ left: random.int(0, width - cropWidth), top: random.int(0, height - cropHeight), width: cropWidth, height: cropHeight })
    // Bilinear: a 2-6% enlargement needs no wider kernel, and lanczos3 doubles the time per image.
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .flop(mirror.flop)
    .flip(mirror.flip)
    .recomb(colourJitter(1 + (random.next() - 0.5) * 0.16, 1 + (random.next() - 0.5) * 0.2, ((random.next() - 0.5) * 16 * Math.PI) / 180))
    .jpeg({ quality: random.int(85, 95) })
    .toBuffer();
}

type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

/**
 * Brightness, saturation and hue rotation (radians) as one RGB matrix, the luminance-preserving
 * matrices of CSS `saturate()` and `hue-rotate()` (Filter Effects, feColorMatrix). sharp's
 * `modulate` does the same through LCh and costs three times the whole rest of the jitter.
 */
function colourJitter(brightness: number, saturation: number, hue: number): Matrix3 {
  const s = saturation;
  const saturate: Matrix3 = [
    [0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s],
    [0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s],
    [0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s],
  ];
  const [c, n] = [Math.cos(hue), Math.sin(hue)];
  const rotate: Matrix3 = [
    [0.213 + c * 0.787 - n * 0.213, 0.715 - c * 0.715 - n * 0.715, 0.072 - c * 0.072 + n * 0.928],
    [0.213 - c * 0.213 + n * 0.143, 0.715 + c * 0.285 + n * 0.14, 0.072 - c * 0.072 - n * 0.283],
    [0.213 - c * 0.213 - n * 0.787, 0.715 - c * 0.715 + n * 0.715, 0.072 + c * 0.928 + n * 0.072],
  ];
  return rotate.map((row) => [0, 1, 2].map((j) => brightness * row.reduce((sum, value, k) => sum + value * saturate[k]![j]!, 0))) as Matrix3;
}
