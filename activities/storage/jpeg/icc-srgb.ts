/**
 * Whether an ICC profile is sRGB by what it does, not what it is called: a matrix/TRC RGB profile
 * whose D50-adapted primaries (rXYZ, gXYZ, bXYZ) are those of sRGB (IEC 61966-2.1, as the ICC's
 * own sRGB profiles carry them) and whose three tone curves follow the sRGB curve. A profile named
 * "sRGB" with other primaries or curves is not sRGB; an unnamed one with these is.
 */

/** sRGB primaries adapted to D50 (Bradford), as in the ICC sRGB profiles. */
const SRGB_PRIMARIES: Record<'rXYZ' | 'gXYZ' | 'bXYZ', [number, number, number]> = {
  rXYZ: [0.4361, 0.2225, 0.0139],
  gXYZ: [0.3851, 0.7169, 0.0971],
  bXYZ: [0.1431, 0.0606, 0.7141],
};
/** s15Fixed16 rounding in real profiles stays well inside this. */
const PRIMARY_TOLERANCE = 0.003;
/** Largest difference allowed between a tone curve and sRGB's, on the 0..1 scale (about 1/255). */
const CURVE_TOLERANCE = 0.004;

export function iccIsSrgb(icc: Uint8Array): boolean {
  if (icc.length < 132) return false;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  if (ascii(icc, 16, 4) !== 'RGB ') return false;
  const tags = new Map<string, Uint8Array>();
  const count = view.getUint32(128);
  for (let i = 0; i < count && 132 + 12 * (i + 1) <= icc.length; i++) {
    const entry = 132 + 12 * i;
    const at = view.getUint32(entry + 4);
    const size = view.getUint32(entry + 8);
    if (at + size > icc.length) return false;
    tags.set(ascii(icc, entry, 4), icc.subarray(at, at + size));
  }
  for (const [tag, expected] of Object.entries(SRGB_PRIMARIES)) {
    const xyz = readXyz(tags.get(tag));
    if (!xyz || xyz.some((v, i) => Math.abs(v - expected[i]) > PRIMARY_TOLERANCE)) return false;
  }
  return ['rTRC', 'gTRC', 'bTRC'].every((tag) => {
    const curve = readCurve(tags.get(tag));
    return curve !== undefined && SAMPLES.every((x) => Math.abs(curve(x) - srgbDecode(x)) <= CURVE_TOLERANCE);
  });
}

const SAMPLES = Array.from({ length: 33 }, (_, i) => i / 32);

function srgbDecode(x: number): number {
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

function readXyz(tag: Uint8Array | undefined): [number, number, number] | undefined {
  if (!tag || tag.length < 20 || ascii(tag, 0, 4) !== 'XYZ ') return undefined;
  const view = new DataView(tag.buffer, tag.byteOffset, tag.byteLength);
  return [view.getInt32(8) / 65536, view.getInt32(12) / 65536, view.getInt32(16) / 65536];
}

/** A 'curv' (gamma or table) or 'para' (ICC parametric types 0-4) tone curve as a function on 0..1. */
function readCurve(tag: Uint8Array | undefined): ((x: number) => number) | undefined {
  if (!tag || tag.length < 12) return undefined;
  const view = new DataView(tag.buffer, tag.byteOffset, tag.byteLength);
  const type = ascii(tag, 0, 4);
  if (type === 'curv') {
    const n = view.getUint32(8);
    if (tag.length < 12 + 2 * n) return undefined;
    if (n === 0) return (x) => x;
    if (n === 1) {
      const gamma = view.getUint16(12) / 256;
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, i) => view.getUint16(12 + 2 * i) / 65535);
    return (x) => {
      const p = x * (n - 1);
      const i = Math.min(n - 2, Math.floor(p));
      return table[i] + (table[i + 1] - table[i]) * (p - i);
    };
  }
  if (type === 'para') {
    const fn = view.getUint16(8);
    const counts = [1, 3, 4, 5, 7];
    if (fn > 4 || tag.length < 12 + 4 * counts[fn]) return undefined;
    const [g, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = Array.from({ length: counts[fn] }, (_, i) => view.getInt32(12 + 4 * i) / 65536);
    if (fn === 0) return (x) => x ** g;
    if (fn === 1) return (x) => (x >= -b / a ? (a * x + b) ** g : 0);
    if (fn === 2) return (x) => (x >= -b / a ? (a * x + b) ** g + c : c);
    if (fn === 3) return (x) => (x >= d ? (a * x + b) ** g : c * x);
    return (x) => (x >= d ? (a * x + b) ** g + e : c * x + f);
  }
  return undefined;
}

function ascii(bytes: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + n));
}
