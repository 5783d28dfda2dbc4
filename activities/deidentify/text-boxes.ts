/** A box on the detector's probability map, in map pixels (right and bottom exclusive), with its score. */
export interface MapBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** mean text probability inside the box before unclipping */
  score: number;
}

export interface BoxSettings {
  /** probability from which a map pixel is text (PaddleOCR's `thresh`, 0.3) */
  binaryThreshold: number;
  /** mean probability a box needs (PaddleOCR's `box_thresh`, 0.6) */
  boxThreshold: number;
  /** how far a box grows back out, as a multiple of area / perimeter (PaddleOCR's `unclip_ratio`, 1.5) */
  unclipRatio: number;
}

/** The shorter side a region needs, in map pixels, before unclipping (PaddleOCR's `min_size`): thinner is a line or a speck. */
const MIN_SIDE = 3;

/**
 * Text boxes from a DB (differentiable binarisation) probability map, the steps of PaddleOCR's
 * DBPostProcess: binarise, take each connected region, drop it when too thin or when its mean
 * probability is low, then grow it back by the margin the DB model was trained to shrink text by
 * (distance = area · ratio / perimeter). Boxes are axis-aligned, not minimum-area rectangles: burned-in
 * captions are horizontal, and a tilted line's axis-aligned box still covers it.
 */
export function textBoxes(probability: Float32Array, width: number, height: number, settings: BoxSettings): MapBox[] {
  const seen = new Uint8Array(width * height);
  const boxes: MapBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < probability.length; start++) {
    if (seen[start] || probability[start]! <= settings.binaryThreshold) continue;
    // Flood fill one 8-connected region, tracking its bounding box.
    let left = width, top = height, right = -1, bottom = -1;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (!seen[j] && probability[j]! > settings.binaryThreshold) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    const w = right - left + 1;
    const h = bottom - top + 1;
    if (Math.min(w, h) < MIN_SIDE) continue;
    const score = meanInside(probability, width, left, top, right + 1, bottom + 1);
    if (score >= settings.boxThreshold) boxes.push(unclip({ left, top, right: right + 1, bottom: bottom + 1, score }, width, height, settings.unclipRatio));
  }
  return boxes;
}

function meanInside(probability: Float32Array, width: number, left: number, top: number, right: number, bottom: number): number {
  let sum = 0;
  for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) sum += probability[y * width + x]!;
  return sum / ((right - left) * (bottom - top));
}

function unclip(box: MapBox, width: number, height: number, ratio: number): MapBox {
  const w = box.right - box.left;
  const h = box.bottom - box.top;
  const distance = (w * h * ratio) / (2 * (w + h));
  return {
    left: Math.max(0, Math.floor(box.left - distance)),
    top: Math.max(0, Math.floor(box.top - distance)),
    right: Math.min(width, Math.ceil(box.right + distance)),
    bottom: Math.min(height, Math.ceil(box.bottom + distance)),
    score: box.score,
  };
}
