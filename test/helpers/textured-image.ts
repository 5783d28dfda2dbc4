import sharp, { type Sharp } from 'sharp';

/** A 96x64 image (3 or 1 channels) with texture everywhere, so every JPEG block has AC coefficients. */
export function textured(channels: 1 | 3 = 3): Sharp {
  const w = 96;
  const h = 64;
  const data = Buffer.alloc(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / w) | 0) * 11 + ((i * i) % 251)) & 0xff;
  return sharp(data, { raw: { width: w, height: h, channels } });
}
