/**
 * Greedy CTC decoding of a recogniser's output (steps × classes probabilities, class 0 the blank):
 * the most likely class per step, repeats merged, blanks dropped. The confidence is the mean
 * probability of the characters kept, as PaddleOCR's CTCLabelDecode reports it (0 when none are).
 */
export function ctcDecode(probabilities: Float32Array, steps: number, classes: number, alphabet: readonly string[]): { text: string; confidence: number } {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[t * classes + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += alphabet[best] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}
