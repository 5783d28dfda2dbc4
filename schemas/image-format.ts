import { z } from 'zod';

/** Raster formats a build may accept (`ingest.imageFormats`); documents such as SVG or PDF never are. */
export const ImageFormat = z.enum(['jpeg', 'png', 'tiff', 'webp', 'gif']);
export type ImageFormat = z.infer<typeof ImageFormat>;
export const DEFAULT_IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'tiff'];
