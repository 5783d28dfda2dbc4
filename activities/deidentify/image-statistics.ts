/**
 * Per-image statistics for cleanvision's image-property checks (github.com/cleanlab/cleanvision),
 * computed in one pass over a small decoded image (callers pass a thumbnail, e.g.
 * `sharp(file).resize(128).raw()`), plus a colour-cast measure and a "practically grayscale" fraction.
 *
 * Every check returns its raw score, and the thresholds live apart (`CLEANVISION_DEFAULTS` in
 * schemas/qc-checks.ts, `cleanvisionFlags`), so thresholds can change without re-reading any image.
 *
 * Definitions follow cleanvision at commit 2f69ae8a2f36a75060099bbeb86b2240ec470d83 (Jan 2026):
 * `src/cleanvision/issue_managers/image_property.py` (how a score is computed) and
 * `src/cleanvision/issue_managers/image_property_issue_manager.py` (`get_default_params`, the
 * default thresholds). Cleanvision's rule is "score < threshold ⇒ issue" for every property check;
 * `grayscale` and `colourCast` here are the exceptions (higher ⇒ issue), see their comments.
 *
 * Not covered: `blurry` (measured by `measure-image.ts` as the variance of the Laplacian) and
 * cleanvision's `odd_size`, which is a dataset-level rule (distance from the IQR of √area over the
 * whole dataset, `SizeProperty`) rather than a per-image score. Note that cleanvision runs these checks
 * on the full-resolution image; on a thumbnail the brightness percentiles and entropy move a little
 * because downscaling averages out the extremes (on 200 MILK10k images, 600x450 vs 128x96: |Δdark| up
 * to 0.13, |Δlight| up to 0.04, |ΔlowInformation| up to 0.08, and no flag changed). On the same pixels
 * the scores equal numpy/Pillow's to 1e-15 (checked against cleanvision's own formulas).
 */

import { CLEANVISION_DEFAULTS, type CleanvisionThresholds } from '../../schemas/qc-checks.ts';

/** A decoded 8-bit image, interleaved, as sharp's `.raw()` gives it (1–4 channels; alpha is ignored). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface ImageStatistics {
  /** Size of the image the statistics were computed on (the thumbnail). */
  width: number;
  height: number;
  /**
   * cleanvision `dark` score: the 99th percentile of per-pixel perceived brightness
   * √(0.241 R² + 0.691 G² + 0.068 B²) / 255 (`calculate_brightness`, `brightness_perc_99`), in [0, 1].
   * Low means even the brightest pixels are dark. Issue when < threshold (default 0.32).
   */
  dark: number;
  /**
   * cleanvision `light` score: 1 − the 5th percentile of perceived brightness (`1 - brightness_perc_5`),
   * in [0, 1]. Low means even the darkest pixels are bright. Issue when < threshold (default 0.05).
   */
  light: number;
  /** cleanvision's `brightness` property: perceived brightness of the image's mean R, G, B (`calc_avg_brightness`), in [0, 1]. */
  meanBrightness: number;
  /**
   * Entropy in bits exactly as Pillow's `Image.entropy()` computes it, which is what cleanvision
   * calls (`calc_entropy`): Shannon entropy of the image's histogram with all bands' 256-bin
   * histograms concatenated (768 bins for RGB, so up to log2(768) ≈ 9.58 bits; 8 bits for L).
   * For RGB this equals mean(per-channel entropy) + log2(3), so a solid colour has log2(3) ≈ 1.58 bits.
   * Alpha is ignored here; cleanvision would count it as a fourth band of an RGBA image.
   */
  entropy: number;
  /**
   * cleanvision `low_information` score: min(1, 0.1 × entropy) (`EntropyProperty.get_scores` with
   * the default `normalizing_factor` 0.1). Issue when < threshold (default 0.3, i.e. entropy < 3 bits).
   * At most 0.958 for RGB (log2(768) bits), so the cap at 1 only matters for 4-band images.
   * Note: this is NOT entropy / max-entropy; see `lumaEntropy` for the grayscale-histogram variant.
   */
  lowInformation: number;
  /**
   * Entropy in bits of the 256-bin histogram of ITU-R 601 luma (Pillow's `convert('L')` rounding),
   * i.e. the "grayscale histogram" entropy; divide by 8 for entropy / max entropy. Not used by any
   * cleanvision check; reported because it is the more common textbook definition.
   */
  lumaEntropy: number;
  /**
   * Fraction of pixels whose channel spread max(R,G,B) − min(R,G,B) is ≤ 2 (1 for 1- and 2-channel
   * images). cleanvision flags only images stored in mode `L` (`ColorSpaceProperty`); we also want
   * RGB files whose pixels are all (nearly) neutral. HIGHER ⇒ more grayscale; issue when ≥ threshold.
   */
  grayscale: number;
  /** cleanvision `odd_aspect_ratio` score: min(w/h, h/w) (`calc_aspect_ratio`). Issue when < threshold (default 0.35). */
  oddAspectRatio: number;
  /**
   * Colour cast, CIELAB (sRGB, D65): the distance of the mean chromaticity from neutral,
   * D = √(mean(a*)² + mean(b*)²), in ΔE*ab units. 0 for a neutral image. Not a cleanvision check.
   * Skin is reddish-yellow, so every skin photograph has D ≈ 10–30; only a dataset-calibrated
   * threshold is meaningful (none by default). HIGHER ⇒ more cast.
   */
  colourCast: number;
  /**
   * The "equivalent circle" cast factor K = D / M, where M = √(σ(a*)² + σ(b*)²) is the chroma spread
   * (standard deviation, so one pass suffices; the original formulation uses the mean absolute
   * deviation), floored at 1 ΔE*ab (about one just-noticeable difference) so flat images stay finite.
   * K ≫ 1 means the colours sit in a tight cluster away from neutral: a cast rather than a colourful scene.
   */
  colourCastFactor: number;
  /** mean a* (green − / red +) and mean b* (blue − / yellow +), for calibrating the colour-cast check. */
  meanA: number;
  meanB: number;
}

/** Names of the checks `cleanvisionFlags` can return, in the order it returns them. */
export type CleanvisionCheck = 'dark' | 'light' | 'low-information' | 'grayscale' | 'odd-aspect-ratio' | 'colour-cast';

/** cleanvision's `normalizing_factor` for `low_information`: score = min(1, 0.1 × entropy in bits). */
export const LOW_INFORMATION_NORMALIZING_FACTOR = 0.1;

/** Channel spread (max − min, 8-bit levels) up to which a pixel counts as neutral for `grayscale`. */
export const GRAYSCALE_TOLERANCE = 2;

/** The checks `stats` fails under `thresholds`, in a fixed order (see `CleanvisionCheck`). */
export function cleanvisionFlags(stats: ImageStatistics, thresholds: CleanvisionThresholds = CLEANVISION_DEFAULTS): CleanvisionCheck[] {
  const flags: CleanvisionCheck[] = [];
  if (stats.dark < thresholds.dark) flags.push('dark');
  if (stats.light < thresholds.light) flags.push('light');
  if (stats.lowInformation < thresholds.lowInformation) flags.push('low-information');
  if (stats.grayscale >= thresholds.grayscale) flags.push('grayscale');
  if (stats.oddAspectRatio < thresholds.oddAspectRatio) flags.push('odd-aspect-ratio');
  if (thresholds.colourCast !== undefined && stats.colourCast > thresholds.colourCast) flags.push('colour-cast');
  return flags;
}

/** sRGB (8-bit) → linear light (IEC 61966-2-1). */
export const SRGB_TO_LINEAR: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let v = 0; v < 256; v++) {
    const c = v / 255;
    table[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }
  return table;
})();
const LAB_EPSILON = 216 / 24389;
const LAB_KAPPA = 24389 / 27;
/** The CIELAB companding function f(t) (CIE 15:2004, exact ε and κ), computed exactly. */
export function labFExact(t: number): number {
  return t > LAB_EPSILON ? Math.cbrt(t) : (LAB_KAPPA * t + 16) / 116;
}
const LAB_TABLE_SIZE = 4096;
const LAB_TABLE = (() => {
  const table = new Float64Array(LAB_TABLE_SIZE + 2);
  for (let k = 0; k < table.length; k++) table[k] = labFExact(k / LAB_TABLE_SIZE);
  return table;
})();
/**
 * f(t) by linear interpolation in a 4096-entry table on [0, 1] (where sRGB's X/Xn, Y, Z/Zn lie),
 * exact outside it: 3–4× faster than Math.cbrt per call and within 5e-6 of it, i.e. < 0.005 in
 * a* or b* (a just-noticeable difference is ≈ 1).
 */
export function labF(t: number): number {
  if (t >= 0 && t < 1) {
    const x = t * LAB_TABLE_SIZE;
    const k = x | 0;
    const lo = LAB_TABLE[k]!;
    return lo + (LAB_TABLE[k + 1]! - lo) * (x - k);
  }
  return labFExact(t);
}
// D65 reference white (the sRGB white point), for normalising XYZ.
const XN = 0.95047;
const ZN = 1.08883;

/**
 * Computes all statistics in one pass over the pixels (plus an O(n) selection for the two
 * brightness percentiles and a pass over the histograms). `original` may give the size of the
 * image the thumbnail was made from, so the aspect ratio is exact rather than the thumbnail's
 * (which is off by up to half a pixel per side).
 */
export function imageStatistics(rgb: RawImage, original?: { width: number; height: number }): ImageStatistics {
  const { data, width, height, channels } = rgb;
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || n <= 0) throw new Error(`imageStatistics: empty or invalid size ${width}x${height}`);
  if (!(channels >= 1 && channels <= 4)) throw new Error(`imageStatistics: ${channels} channels, expected 1 to 4`);
  if (data.length < n * channels) throw new Error(`imageStatistics: ${data.length} bytes for ${width}x${height}x${channels}`);
  const colour = channels >= 3;

  // Integer brightness keys 1000 × (0.241 R² + 0.691 G² + 0.068 B²): exact, and monotone in cleanvision's brightness.
  const keys = new Uint32Array(n);
  const bandHistogram = new Uint32Array(colour ? 768 : 256);
  const lumaHistogram = new Uint32Array(256);
  let sumR = 0;
  let sumG = 0;
  let sumB = 0;
  let neutral = 0;
  let sumA = 0;
  let sumB_ = 0;
  let sumAA = 0;
  let sumBB = 0;

  for (let p = 0, i = 0; p < n; p++, i += channels) {
    const r = data[i]!;
    if (colour) {
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      keys[p] = 241 * r * r + 691 * g * g + 68 * b * b;
      bandHistogram[r]!++;
      bandHistogram[256 + g]!++;
      bandHistogram[512 + b]!++;
      // Pillow's RGB → L conversion (libImaging/Convert.c L24): ITU-R 601 with 16-bit fixed-point rounding.
      lumaHistogram[(r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16]!++;
      sumR += r;
      sumG += g;
      sumB += b;
      const hi = r > g ? (r > b ? r : b) : g > b ? g : b;
      const lo = r < g ? (r < b ? r : b) : g < b ? g : b;
      if (hi - lo <= GRAYSCALE_TOLERANCE) neutral++;
      // CIELAB a*, b* (L* is not needed).
      const lr = SRGB_TO_LINEAR[r]!;
      const lg = SRGB_TO_LINEAR[g]!;
      const lb = SRGB_TO_LINEAR[b]!;
      const fx = labF((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / XN);
      const fy = labF(0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb);
      const fz = labF((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / ZN);
      const a = 500 * (fx - fy);
      const bb = 200 * (fy - fz);
      sumA += a;
      sumB_ += bb;
      sumAA += a * a;
      sumBB += bb * bb;
    } else {
      keys[p] = 1000 * r * r;
      bandHistogram[r]!++;
      lumaHistogram[r]!++;
      sumR += r;
      neutral++;
    }
  }

  // Brightness percentiles, numpy's default ("linear") interpolation between order statistics.
  const p99 = percentileBrightness(keys, 99);
  const p5 = percentileBrightness(keys, 5);
  const meanR = sumR / n;
  const meanG = colour ? sumG / n : meanR;
  const meanB = colour ? sumB / n : meanR;

  const entropy = histogramEntropy(bandHistogram);
  const meanA = colour ? sumA / n : 0;
  const meanB_ = colour ? sumB_ / n : 0;
  const spread = colour ? Math.sqrt(Math.max(0, sumAA / n - meanA * meanA) + Math.max(0, sumBB / n - meanB_ * meanB_)) : 0;
  const colourCast = Math.hypot(meanA, meanB_);
  const w = original?.width ?? width;
  const h = original?.height ?? height;

  return {
    width,
    height,
    dark: p99,
    light: 1 - p5,
    meanBrightness: Math.sqrt(0.241 * meanR * meanR + 0.691 * meanG * meanG + 0.068 * meanB * meanB) / 255,
    entropy,
    lowInformation: Math.min(1, LOW_INFORMATION_NORMALIZING_FACTOR * entropy),
    lumaEntropy: histogramEntropy(lumaHistogram),
    grayscale: neutral / n,
    oddAspectRatio: Math.min(w / h, h / w),
    colourCast,
    colourCastFactor: colourCast / Math.max(spread, 1),
    meanA,
    meanB: meanB_,
  };
}

/** Shannon entropy in bits of a histogram (Pillow's `_entropy`: p = count / total over all bins). */
function histogramEntropy(histogram: Uint32Array): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  let entropy = 0;
  for (let i = 0; i < histogram.length; i++) {
    const c = histogram[i]!;
    if (c > 0) {
      const p = c / total;
      entropy -= p * Math.log2(p);
    }
  }
  return entropy === 0 ? 0 : entropy; // no -0
}

/** The `percent`-th percentile of √(key / 1000) / 255 over `keys`, as `np.percentile` (linear). Reorders `keys`. */
function percentileBrightness(keys: Uint32Array, percent: number): number {
  const position = (percent / 100) * (keys.length - 1);
  const lo = Math.floor(position);
  const loKey = select(keys, lo);
  let value = brightnessOfKey(loKey);
  const fraction = position - lo;
  if (fraction > 0) {
    // After select(), everything right of `lo` is ≥ keys[lo]; the next order statistic is their minimum.
    let next = Infinity;
    for (let i = lo + 1; i < keys.length; i++) if (keys[i]! < next) next = keys[i]!;
    value += (brightnessOfKey(next) - value) * fraction;
  }
  return value;
}

function brightnessOfKey(key: number): number {
  return Math.sqrt(key / 1000) / 255;
}

/** Hoare-style quickselect: places the k-th smallest at index k, smaller left, larger right. Returns it. */
function select(a: Uint32Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    // median of three as pivot
    const mid = (left + right) >>> 1;
    const x = a[left]!;
    const y = a[mid]!;
    const z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}
