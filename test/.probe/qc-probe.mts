import sharp from 'sharp';
import { measureImage } from '../../activities/qc/measure-image.ts';
import { sampleImages } from '../../test/helpers/sample.ts';
const dec = async (s: sharp.Sharp) => { const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true }); return measureImage({ data, width: info.width, height: info.height, channels: info.channels }); };
const ham = (a: string, b: string) => { let x = BigInt('0x'+a) ^ BigInt('0x'+b); let n=0; while (x) { n += Number(x & 1n); x >>= 1n; } return n; };
const files = sampleImages(40);
const hashes: string[] = [];
for (const f of files) {
  const o = await dec(sharp(f));
  const b = await dec(sharp(f).blur(4));
  const d = await dec(sharp(f).linear(0.1, 0));
  const meta = await sharp(f).metadata();
  const r = await dec(sharp(await sharp(f).resize(Math.round(meta.width!*0.8), Math.round(meta.height!*0.8)).toBuffer()));
  hashes.push(o.phash);
  console.log(f.split('/').slice(-2).join('/'), o.width, o.height, o.meanLuma, o.sharpness, 'blur', b.sharpness, 'dark', d.meanLuma, 'ham', ham(o.phash, r.phash));
}
let min = 64; for (let i=0;i<hashes.length;i++) for (let j=i+1;j<hashes.length;j++) if (Math.floor(i/2)!==Math.floor(j/2)) min = Math.min(min, ham(hashes[i], hashes[j]));
console.log('min cross-lesion', min);
