import type { QcScores } from './records.ts';

export type QcAction = 'exclude' | 'warn' | 'off';

export interface QcCheck {
  /** the reason code an image gets when it fails */
  name: string;
  describe: string;
  /** the raw score the check reads (kept per image, so thresholds can change without recomputing); `sizes` is the build's */
  score: (scores: QcScores, imageType: string, sizes: DatasetSizes) => number;
  /** whether a score fails the threshold */
  fails: (score: number, threshold: number) => boolean;
  threshold: number;
  action: QcAction;
}

export interface CleanvisionThresholds {
  /** issue when `dark` (99th brightness percentile) < this */
  dark: number;
  /** issue when `light` (1 − 5th brightness percentile) < this */
  light: number;
  /** issue when `lowInformation` (min(1, 0.1 × entropy bits)) < this */
  lowInformation: number;
  /** issue when `oddAspectRatio` (min(w/h, h/w)) < this */
  oddAspectRatio: number;
  /** issue when `grayscale` (fraction of neutral pixels) ≥ this */
  grayscale: number;
  /** issue when `colourCast` (ΔE*ab of the mean chromaticity) > this; undefined disables the check */
  colourCast?: number;
}

/**
 * cleanvision's default thresholds (`ImagePropertyIssueManager.get_default_params`):
 * dark 0.32, light 0.05, odd_aspect_ratio 0.35, low_information 0.3 (with normalizing_factor 0.1).
 * (cleanvision's blurry default — threshold 0.29, normalizing_factor 0.01, color_threshold 0.18 —
 * applies to a different blur measure and is not used here.) `grayscale` 0.99 is ours: cleanvision
 * has no threshold (mode `L` or not); 0.99 rather than 1 tolerates a few coloured pixels such as a
 * burnt-in scale bar or logo on an otherwise neutral image. `colourCast` has no default.
 */
export const CLEANVISION_DEFAULTS: Readonly<CleanvisionThresholds> = Object.freeze({
  dark: 0.32,
  light: 0.05,
  lowInformation: 0.3,
  oddAspectRatio: 0.35,
  grayscale: 0.99,
});

/** What a relative check compares an image with: the build's typical image. */
export interface DatasetSizes {
  /** median over the build's images of √(width · height) */
  medianSide: number;
}

/** The median √(width · height) of a set of images (1 for none). */
export function datasetSizes(images: readonly Pick<QcScores, 'width' | 'height'>[]): DatasetSizes {
  const sides = images.map((i) => Math.sqrt(i.width * i.height)).sort((a, b) => a - b);
  if (sides.length === 0) return { medianSide: 1 };
  const mid = sides.length >> 1;
  return { medianSide: sides.length % 2 ? sides[mid]! : (sides[mid - 1]! + sides[mid]!) / 2 };
}

/**
 * Just below the lowest ratio of the 6,000 shared MILK10k images (0.271; median 0.77), which MILK10k
 * released: catches about 65% of their copies blurred at sigma 2 (600x450), 0.27 ≈ e^-1.3.
 */
const BLUR_RATIO_THRESHOLD = 0.26;

const below = (score: number, threshold: number) => score < threshold;
const above = (score: number, threshold: number) => score > threshold;
const atLeast = (score: number, threshold: number) => score >= threshold;

/**
 * Every image check, with its default threshold and action (both overridable per check in
 * temporal.yml under qc.checks). Where cleanvision (github.com/cleanlab/cleanvision) has the check,
 * its published score definition and default threshold are used (see
 * activities/deidentify/image-statistics.ts).
 */
export const QC_CHECKS: readonly QcCheck[] = [
  { name: 'too-small', describe: 'shorter side in pixels', score: (s) => Math.min(s.width, s.height), fails: below, threshold: 150, action: 'exclude' },
  { name: 'odd-aspect-ratio', describe: 'min(w/h, h/w) (cleanvision odd_aspect_ratio)', score: (s) => s.oddAspectRatio, fails: below, threshold: CLEANVISION_DEFAULTS.oddAspectRatio, action: 'exclude' },
  // cleanvision's odd_size flags √area outside [Q1 − 3·IQR, Q3 + 3·IQR]; when every image has one size
  // (all 6,000 shared MILK10k images are 600x450) the IQR is 0 and any other size is odd, a 5% crop
  // included. Relative to the median instead: how many halvings or doublings from the typical side.
  { name: 'odd-size', describe: '|log2(√(w·h) / the build\'s median √(w·h))|', score: (s, _, sizes) => Math.abs(Math.log2(Math.sqrt(s.width * s.height) / sizes.medianSide)), fails: above, threshold: 1, action: 'warn' },
  { name: 'too-dark', describe: '99th percentile of perceived brightness (cleanvision dark)', score: (s) => s.dark, fails: below, threshold: CLEANVISION_DEFAULTS.dark, action: 'exclude' },
  { name: 'too-light', describe: '1 - 5th percentile of perceived brightness (cleanvision light)', score: (s) => s.light, fails: below, threshold: CLEANVISION_DEFAULTS.light, action: 'exclude' },
  { name: 'low-information', describe: 'min(1, 0.1 x histogram entropy) (cleanvision low_information)', score: (s) => s.lowInformation, fails: below, threshold: CLEANVISION_DEFAULTS.lowInformation, action: 'exclude' },
  // Not cleanvision's blurry score: the variance of the Laplacian of the luma at half resolution
  // (where JPEG block noise no longer masks blur). On all 6,000 shared MILK10k images the lowest is 5.28
  // (two score under 6, the earlier threshold); MILK10k released them all, so the default sits below.
  // Sigma-6 blurred copies of real images score 3.2 median, 5.4 at p99: most, not all, are caught
  // (`npm run bench` prints both figures). Soft real close-ups and blurred sharp ones overlap on this score.
  { name: 'blurry', describe: 'variance of the Laplacian of the half-resolution luma', score: (s) => s.sharpness, fails: below, threshold: 5, action: 'exclude' },
  // Relative blur: the finest scale's detail against the next coarser one's, so a soft subject (little
  // texture at every scale) is not mistaken for a blurred one. See `sharpnessRatio` in measure-image.ts.
  { name: 'blurry-fine-detail', describe: 'variance of the Laplacian at half resolution / that at quarter resolution', score: (s) => s.sharpnessRatio, fails: below, threshold: BLUR_RATIO_THRESHOLD, action: 'exclude' },
  { name: 'grayscale', describe: 'fraction of pixels whose channels differ by at most 2 levels', score: (s) => s.grayscale, fails: atLeast, threshold: CLEANVISION_DEFAULTS.grayscale, action: 'exclude' },
  // Skin is never neutral, so a cast is only meaningful against a calibrated threshold: off by default.
  { name: 'colour-cast', describe: 'CIELAB distance of the mean chromaticity from neutral', score: (s) => s.colourCast, fails: atLeast, threshold: 45, action: 'off' },
  {
    name: 'modality-mismatch',
    describe: 'how unlike its declared type the image looks (0 = typical, 1 = looks like the other type)',
    score: (s, imageType) => (imageType === 'dermoscopic' ? 1 - s.modality : s.modality),
    fails: atLeast,
    // On the 2,000 sample images: catches 77% of clinical images labelled dermoscopic (74% the other
    // way round) and warns on 1.5% of correctly labelled ones; a warning, for a curator to look at.
    threshold: 0.8,
    action: 'warn',
  },
  // A region the recogniser reads as 3+ characters with confidence: rulers, hair and lesion edges are
  // detected as text but read as nothing or stray characters. Of the 6,000 shared MILK10k images one
  // scores above 0.59 (0.98: a dermoscope maker's "3Gen" printed on a scale bar, real text); names,
  // dates and ids drawn into 400 of them reach 0.7 in 97% (npm run bench -- --only text).
  { name: 'burned-in-text', describe: 'highest recognition confidence of a text region reading 3+ characters', score: (s) => s.burnedInText ?? 0, fails: atLeast, threshold: 0.7, action: 'warn' },
];

/**
 * Not a threshold check: an image whose recognised text contains a name, local id or date of its
 * centre's records (matched by assembleCases) is excluded whatever the configuration; a curator can
 * still accept it as a false match.
 */
export const PHI_IN_PIXELS = { name: 'phi-in-pixels', describe: "recognised text contains a name, local id or date of the centre's records" } as const;

export interface QcCheckSetting {
  threshold?: number;
  action?: QcAction;
}

export interface QcOutcome {
  exclude: string[];
  warn: string[];
}

/** The checks an image fails, split by their configured action. */
export function qcOutcome(scores: QcScores, imageType: string, settings: Readonly<Record<string, QcCheckSetting | undefined>>, sizes: DatasetSizes): QcOutcome {
  const outcome: QcOutcome = { exclude: [], warn: [] };
  for (const check of QC_CHECKS) {
    const setting = settings[check.name];
    const action = setting?.action ?? check.action;
    if (action === 'off') continue;
    if (check.fails(check.score(scores, imageType, sizes), setting?.threshold ?? check.threshold)) outcome[action].push(check.name);
  }
  return outcome;
}
