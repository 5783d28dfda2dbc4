import { z } from 'zod';

/**
 * Side of the square grey thumbnail the QC decode keeps per image, for confirming near duplicates
 * (activities/assemble/aligned-correlation.ts): SIDE² luma bytes, the whole image squeezed to a
 * square and box-averaged from the 128-px QC thumbnail, stored as base64 (5,464 characters). 64 rather
 * than 32: at 32 the texture that tells two similar-looking lesions apart is averaged away.
 */
export const SIMILARITY_SIDE = 64;

export const SimilarityThumbnail = z.base64().length(Math.ceil((SIMILARITY_SIDE * SIMILARITY_SIDE) / 3) * 4);

export const encodeThumbnail = (luma: Uint8Array): string => Buffer.from(luma.buffer, luma.byteOffset, luma.byteLength).toString('base64');

export const decodeThumbnail = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));
