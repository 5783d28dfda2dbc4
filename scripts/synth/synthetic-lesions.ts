import sharp from 'sharp';
import { vocabulary } from '../../schemas/vocabulary.ts';
import { Random } from './random.ts';
import type { SourceLesion } from './source-lesion.ts';

const WIDTH = 600;
const HEIGHT = 450;

/** Draws `count` lesions: a textured skin field with a pigmented blob, as a close-up and as a dermoscopic view. */
export function syntheticLesions(count: number, random: Random): SourceLesion[] {
  const terms = vocabulary().diagnosisTerms;
  return Array.from({ length: count }, (_, n) => {
    const diagnosis = random.pick(terms).term;
    const look = { skin: random.int(0, 4), hue: random.int(0, 40), size: random.int(40, 110), seed: random.int(1, 1000), ratio: 0.6 + random.next() * 0.4 };
    const lesionId = `SYN_${String(n + 1).padStart(6, '0')}`;
    return {
      lesionId,
      ageApprox: random.next() < 0.02 ? undefined : random.int(4, 17) * 5,
      sex: random.pick(['male', 'female']),
      skinTone: random.int(1, 5),
      site: random.pick(vocabulary().fieldValues('site').slice(0, 5)),
      diagnosis,
      confirmType: random.next() < 0.95 ? 'histopathology' : 'single contributor clinical assessment',
      invasionThickness: diagnosis === 'Melanoma Invasive' ? random.pick(['<0.8', '>0.8-1.0', '>1.0-2.0']) : undefined,
      images: (['clinical: close-up', 'dermoscopic'] as const).map((imageType, i) => ({
        isicId: `${lesionId}_${i}`,
        imageType,
        manipulation: 'instrument only',
        load: () => drawLesion(look, imageType === 'dermoscopic'),
      })),
    };
  });
}

const SKINS: [number, number, number][] = [
  [243, 217, 198],
  [232, 191, 160],
  [201, 154, 116],
  [156, 107, 69],
  [128, 86, 55],
];

type Look = { skin: number; hue: number; size: number; seed: number; ratio: number };

/**
 * Paints pixels directly (far faster than rasterising an SVG filter): skin with fine noise and a
 * few hairs, a soft-edged pigmented ellipse, and for dermoscopy a magnified view in a dark round field.
 */
async function drawLesion(look: Look, dermoscopic: boolean): Promise<Buffer> {
  const random = new Random(look.seed * 2 + (dermoscopic ? 1 : 0));
  const [sr, sg, sb] = SKINS[look.skin]!;
  const pigment = [90 - look.hue, 55 - look.hue / 2, 35] as const;
  const rx = look.size * (dermoscopic ? 2.2 : 1);
  const ry = rx * look.ratio;
  // Where the lesion sits and how it is turned differ per image, so unrelated lesions do not look alike.
  const cx = WIDTH / 2 + random.int(-70, 70);
  const cy = HEIGHT / 2 + random.int(-50, 50);
  const angle = random.next() * Math.PI;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  // Uneven lighting, as in real photographs.
  const [gx, gy] = [(random.next() - 0.5) * 0.6, (random.next() - 0.5) * 0.6];
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const dx = ((x - cx) * cos + (y - cy) * sin) / rx;
      const dy = (-(x - cx) * sin + (y - cy) * cos) / ry;
      const inside = Math.max(0, Math.min(1, (1.15 - Math.sqrt(dx * dx + dy * dy)) / 0.3));
      const noise = (random.next() - 0.5) * 18;
      const r = (1 - inside) * sr + inside * pigment[0] + noise;
      const g = (1 - inside) * sg + inside * pigment[1] + noise;
      const b = (1 - inside) * sb + inside * pigment[2] + noise;
      const radius = Math.hypot(x - WIDTH / 2, y - HEIGHT / 2) / (HEIGHT / 2);
      const light = 1 + gx * (x / WIDTH - 0.5) + gy * (y / HEIGHT - 0.5);
      const field = (dermoscopic ? Math.max(0, Math.min(1, (1.08 - radius) / 0.12)) : 1) * light;
      const i = (y * WIDTH + x) * 3;
      data[i] = clamp(r * field);
      data[i + 1] = clamp(g * field);
      data[i + 2] = clamp(b * field);
    }
  }
  // Specular highlights, as contact dermoscopy and flash photography give them.
  for (let k = 0; k < 20; k++) {
    const cx = random.int(WIDTH * 0.25, WIDTH * 0.75);
    const cy = random.int(HEIGHT * 0.25, HEIGHT * 0.75);
    const r = random.int(5, 9);
    for (let y = cy - r; y <= cy + r; y++) for (let x = cx - r; x <= cx + r; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data.fill(245, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
  }
  return sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
