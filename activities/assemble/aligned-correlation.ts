/**
 * How alike two images are once aligned, for confirming near-duplicate candidates: the normalised
 * cross-correlation (Pearson r) of the DETAIL of two square grey thumbnails (each minus a 5x5 box blur
 * of itself) after aligning one onto the other by a small similarity transform (scale per axis,
 * rotation, shift, and a mirror when the candidate came from the mirrored hash).
 *
 * Why detail: two different lesions that share a composition (a dark spot centred on skin) correlate
 * at r ≈ 0.98 on the plain thumbnails, as closely as a rescaled copy, because the blob against the skin
 * dominates the variance; the texture inside and around the blob (hairs, dots, pigment network, skin
 * lines) differs between lesions and survives a rescale, re-encode, crop, brightness change, small
 * rotation or mirror. NCC ignores gain and offset, so a brightness change costs nothing.
 *
 * The alignment is searched coarse to fine by coordinate ascent: on the half-size plain thumbnails
 * (cheap, and smooth enough to climb), then on the full-size detail from there. About 1–3 ms per pair;
 * only hash candidates are scored, never all pairs.
 */

export interface AlignedCorrelation {
  /** Pearson r of the aligned detail, −1..1 (1: same image) */
  score: number;
  /** the transform that gave it (shifts as a fraction of the side) */
  scaleX: number;
  scaleY: number;
  rotationDegrees: number;
  shiftX: number;
  shiftY: number;
  mirrored: boolean;
}

interface Transform {
  scaleX: number;
  scaleY: number;
  rotationDegrees: number;
  shiftX: number;
  shiftY: number;
}

/** A square image as floats, row-major. */
interface Plane {
  side: number;
  values: Float64Array;
}

/** How far the search may move from the identity: enough for a 5% crop and a rotation of a few degrees. */
const LIMITS: Transform = { scaleX: 0.12, scaleY: 0.12, rotationDegrees: 8, shiftX: 0.1, shiftY: 0.1 };
/** First step of each parameter on the half-size thumbnails (shifts as a fraction of the side), halved each round. */
const COARSE_STEPS: Transform = { scaleX: 0.04, scaleY: 0.04, rotationDegrees: 3, shiftX: 1 / 32, shiftY: 1 / 32 };
const FINE_STEPS: Transform = { scaleX: 0.01, scaleY: 0.01, rotationDegrees: 0.75, shiftX: 1 / 128, shiftY: 1 / 128 };
const IDENTITY: Transform = { scaleX: 1, scaleY: 1, rotationDegrees: 0, shiftX: 0, shiftY: 0 };

/**
 * Best aligned detail correlation of thumbnail `b` onto thumbnail `a` (both side² grey bytes, side
 * even), with `b` mirrored left–right first when `mirrored`. With `enough`, a pair already at that
 * score unaligned (a rescaled, re-encoded or brightened copy) is not searched further. `aspect` is the
 * images' width / height: thumbnails are squeezed square, so a rotation is done in the images' own shape.
 */
export function alignedCorrelation(a: Uint8Array, b: Uint8Array, mirrored = false, { enough = Infinity, aspect = 1 }: { enough?: number; aspect?: number } = {}): AlignedCorrelation {
  const side = Math.round(Math.sqrt(a.length));
  if (side * side !== a.length || b.length !== a.length || side % 2 !== 0) throw new Error(`thumbnails must be the same even-sided square of grey bytes, got ${a.length} and ${b.length} bytes`);
  const fullA = toPlane(a, side, false);
  const fullB = toPlane(b, side, mirrored);
  const fineWindow = centreWindow(detail(fullA), aspect);
  const detailB = detail(fullB);
  const unaligned = correlation(fineWindow, detailB, IDENTITY);
  if (unaligned >= enough) return { score: unaligned, ...IDENTITY, mirrored };
  // the plain half-size thumbnails give a smooth surface to climb; the detail then sharpens the fit
  const coarse = climb(centreWindow(halve(fullA), aspect), halve(fullB), IDENTITY, COARSE_STEPS, 3);
  const best = climb(fineWindow, detailB, coarse.t, FINE_STEPS, 2);
  return { score: Math.max(best.score, unaligned), ...(best.score >= unaligned ? best.t : IDENTITY), mirrored };
}

const PARAMETERS = ['scaleX', 'scaleY', 'rotationDegrees', 'shiftX', 'shiftY'] as const;

/**
 * Coordinate ascent of the correlation from `start`: try a step up and down on each parameter, move
 * while it improves, then halve the steps; `rounds` step sizes in all. Shifts are fractions of the side.
 */
function climb(window: Window, plane: Plane, start: Transform, firstSteps: Transform, rounds: number): { score: number; t: Transform } {
  let t = { ...start };
  let score = correlation(window, plane, toPixels(t, plane.side));
  const steps = { ...firstSteps };
  for (let round = 0; round < rounds; round++) {
    for (let improved = true; improved; ) {
      improved = false;
      for (const p of PARAMETERS)
        for (const sign of [1, -1]) {
          const value = t[p] + sign * steps[p]!;
          if (Math.abs(value - IDENTITY[p]) > LIMITS[p]) continue;
          const candidate = { ...t, [p]: value };
          const s = correlation(window, plane, toPixels(candidate, plane.side));
          if (s > score + 1e-9) {
            score = s;
            t = candidate;
            improved = true;
          }
        }
    }
    for (const p of PARAMETERS) steps[p] /= 2;
  }
  return { score, t };
}

/** Shifts from fractions of the side to pixels of a plane. */
const toPixels = (t: Transform, side: number): Transform => ({ ...t, shiftX: t.shiftX * side, shiftY: t.shiftY * side });

/**
 * The thumbnail mirrored (optionally) and rotated about its centre by `degrees` (bilinear, edges
 * clamped), as bytes: the variants whose pHash finds mirrored and slightly rotated copies.
 */
export function turnedThumbnail(bytes: Uint8Array, degrees: number, mirrored: boolean, aspect = 1): Uint8Array {
  const side = Math.round(Math.sqrt(bytes.length));
  const plane = toPlane(bytes, side, mirrored);
  if (degrees === 0) return Uint8Array.from(plane.values);
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const c = (side - 1) / 2;
  const out = new Uint8Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const px = (x - c) * aspect;
      const py = y - c;
      out[y * side + x] = Math.round(sample(plane, c + (cos * px - sin * py) / aspect, c + sin * px + cos * py));
    }
  return out;
}

/** Bilinear sample of a plane at (x, y), clamped to its edges. */
function sample({ side, values: b }: Plane, x: number, y: number): number {
  const max = side - 1;
  x = x < 0 ? 0 : x > max ? max : x;
  y = y < 0 ? 0 : y > max ? max : y;
  const x0 = x | 0;
  const y0 = y | 0;
  const x1 = x0 < max ? x0 + 1 : x0;
  const y1 = y0 < max ? y0 + 1 : y0;
  const fx = x - x0;
  const fy = y - y0;
  const top = b[y0 * side + x0]! + (b[y0 * side + x1]! - b[y0 * side + x0]!) * fx;
  const bottom = b[y1 * side + x0]! + (b[y1 * side + x1]! - b[y1 * side + x0]!) * fx;
  return top + (bottom - top) * fy;
}

function toPlane(bytes: Uint8Array, side: number, mirrored: boolean): Plane {
  const values = new Float64Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) values[y * side + x] = bytes[y * side + (mirrored ? side - 1 - x : x)]!;
  return { side, values };
}

/** 2x2 box average to half size. */
function halve({ side, values }: Plane): Plane {
  const h = side / 2;
  const out = new Float64Array(h * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) out[y * h + x] = (values[2 * y * side + 2 * x]! + values[2 * y * side + 2 * x + 1]! + values[(2 * y + 1) * side + 2 * x]! + values[(2 * y + 1) * side + 2 * x + 1]!) / 4;
  return { side: h, values: out };
}

/** The image minus its 5x5 box blur (edges clamped): the texture, without the overall shape. */
function detail({ side, values }: Plane): Plane {
  const r = 2;
  const rows = new Float64Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += values[y * side + Math.min(side - 1, Math.max(0, x + k))]!;
      rows[y * side + x] = sum;
    }
  const out = new Float64Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += rows[Math.min(side - 1, Math.max(0, y + k)) * side + x]!;
      out[y * side + x] = values[y * side + x]! - sum / (2 * r + 1) ** 2;
    }
  return { side, values: out };
}

interface Window {
  side: number;
  /** zero-mean values of the reference's central window */
  values: Float64Array;
  /** their coordinates relative to the image centre, interleaved x, y; x in the image's own units (× aspect) */
  coords: Float64Array;
  aspect: number;
  norm: number;
}

/** The reference's centre, an eighth of the side in from each border, so a crop, shift or rotation of the other stays inside it. */
function centreWindow({ side, values: source }: Plane, aspect: number): Window {
  const margin = side / 8;
  const inner = side - 2 * margin;
  const n = inner * inner;
  const values = new Float64Array(n);
  const coords = new Float64Array(2 * n);
  const c = (side - 1) / 2;
  let k = 0;
  let sum = 0;
  for (let y = margin; y < side - margin; y++)
    for (let x = margin; x < side - margin; x++, k++) {
      values[k] = source[y * side + x]!;
      coords[2 * k] = (x - c) * aspect;
      coords[2 * k + 1] = y - c;
      sum += values[k]!;
    }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    values[i]! -= mean;
    sq += values[i]! * values[i]!;
  }
  return { side, values, coords, aspect, norm: Math.sqrt(sq) };
}

/** Pearson r between the reference window and `b` sampled (bilinear, clamped) at the transformed coordinates. */
function correlation(reference: Window, plane: Plane, t: Transform): number {
  const { values, coords } = reference;
  const theta = (t.rotationDegrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const c = (plane.side - 1) / 2;
  let sumB = 0;
  let sumBB = 0;
  let sumAB = 0;
  const n = values.length;
  for (let k = 0; k < n; k++) {
    const px = coords[2 * k]! * t.scaleX;
    const py = coords[2 * k + 1]! * t.scaleY;
    const v = sample(plane, c + (cos * px - sin * py) / reference.aspect + t.shiftX, c + sin * px + cos * py + t.shiftY);
    sumB += v;
    sumBB += v * v;
    sumAB += values[k]! * v;
  }
  const varB = sumBB - (sumB * sumB) / n;
  if (varB <= 1e-9 || reference.norm <= 1e-9) return 0;
  // the reference is zero-mean, so Σ a·(b − mean b) = Σ a·b
  return sumAB / (reference.norm * Math.sqrt(varB));
}
