/** The file uses a feature or structure the lossless rewriter does not handle (JPEG-LS, arithmetic coding, a corrupt scan, ...). */
export class UnsupportedJpeg extends Error {}
