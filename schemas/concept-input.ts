/**
 * The concept model's input, which the image thread derives while it measures each de-identified
 * image (activities/deidentify/measure-image.ts) and the concept stage feeds its model
 * (activities/concepts/concept-model.ts).
 */

/** Side of the square RGB input of the concept model (see activities/concepts/model/README.md). */
export const CONCEPT_INPUT_SIDE = 64;
