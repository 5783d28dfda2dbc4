/**
 * Image fingerprints shared by the stage that measures images (deidentify) and the stage that compares
 * them (assemble): the pHash and the box resampling both stand on.
 */

/** Box-average an 8-bit single-channel image to `side`×`side` (aspect squeezed), as floats. */
export function boxResize(luma: ArrayLike<number>, width: number, height: number, side: number): Float64Array {
  const small = new Float64Array(side * side);
  for (let y = 0; y < side; y++) {
    const y0 = Math.floor((y * height) / side);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / side));
    for (let x = 0; x < side; x++) {
      const x0 = Math.floor((x * width) / side);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / side));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += luma[yy * width + xx] ?? 0;
      small[y * side + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return small;
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
export function perceptualHash(luma: ArrayLike<number>, width: number, height: number): string {
  const small = boxResize(luma, width, height, HASH_SIZE);
  // separable DCT: rows first (8 frequencies per row), then columns
  const rows = new Float64Array(HASH_SIZE * 8);
  for (let y = 0; y < HASH_SIZE; y++)
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let x = 0; x < HASH_SIZE; x++) sum += small[y * HASH_SIZE + x]! * COSINES[u * HASH_SIZE + x]!;
      rows[y * 8 + u] = sum;
    }
  const coefficients: number[] = [];
  for (let v = 0; v < 8; v++)
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < HASH_SIZE; y++) sum += rows[y * 8 + u]! * COSINES[v * HASH_SIZE + y]!;
      coefficients.push(sum);
    }
  const median = [...coefficients.slice(1)].sort((a, b) => a - b)[31]!;
  let hash = 0n;
  for (const c of coefficients) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}
