import sharp from 'sharp';
import { measureImage } from '../../activities/qc/measure-image.ts';
import { sampleImages } from '../helpers/sample.ts';
const dec = async (s: sharp.Sharp) => { const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true }); return measureImage({ data, width: info.width, height: info.height, channels: info.channels }); };
const ham = (a: string, b: string) => { let x = BigInt('0x'+a) ^ BigInt('0x'+b); let n=0; while (x) { n += Number(x & 1n); x >>= 1n; } return n; };
const f = sampleImages(4);
const h = await Promise.all(f.map((x) => dec(sharp(x))));
console.log(ham(h[0].phash,h[2].phash), ham(h[0].phash,h[3].phash), ham(h[1].phash,h[2].phash), ham(h[1].phash,h[3].phash), ham(h[0].phash,h[1].phash));
const t = await dec(sharp(f[0]).resize(64,48)); console.log(t);
