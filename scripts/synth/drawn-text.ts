import sharp from 'sharp';

/** Where and how a line of text is drawn into an image: size as a fraction of the image's height, position as fractions of its size. */
export interface TextStyle {
  /** font size / image height */
  size: number;
  /** left edge and baseline, as fractions of the width and height */
  x: number;
  y: number;
  /** CSS colour of the text */
  colour: string;
  /** an outline in this colour, as burn-in software draws captions to stay legible on any background */
  outline?: string;
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A JPEG with `text` burned into its pixels (DejaVu Sans through librsvg), as a camera or viewer
 * stamps a patient's name or an exam date: for measuring and testing burned-in text detection.
 */
export async function drawText(jpeg: Uint8Array, text: string, style: TextStyle): Promise<Buffer> {
  const { width, height } = await sharp(jpeg).metadata();
  if (!width || !height) throw new Error('not an image');
  const fontSize = Math.max(6, Math.round(style.size * height));
  const stroke = style.outline ? ` stroke="${style.outline}" stroke-width="${Math.max(1, fontSize / 12).toFixed(1)}" paint-order="stroke"` : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="${Math.round(style.x * width)}" y="${Math.round(style.y * height)}" font-family="DejaVu Sans" font-size="${fontSize}" fill="${style.colour}"${stroke}>${escapeXml(text)}</text></svg>`;
  return sharp(jpeg).composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 90 }).toBuffer();
}
