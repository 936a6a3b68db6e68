/**
 * The embedded 3D generator: offline, CPU only. The image becomes a textured relief — a
 * closed solid whose front follows the picture's brightness, cut out by its alpha channel or
 * by a plain background, with the picture as its base-colour texture — written as binary
 * glTF 2.0. Decoding and resizing use `sharp` (libvips, prebuilt in npm), loaded only here.
 *
 * @module
 */
import { checkImage, DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../image/check.js';
import {
  type GeneratedFile,
  type GenerateOptions,
  GenerationError,
  type ModelGenerator,
  type ModelRequest,
} from '../types.js';
import { writeGlb } from './glb.js';
import { cutout } from './mask.js';
import { reliefMesh } from './relief-mesh.js';

export interface EmbeddedModelOptions {
  /** Cells along the longest side of the height grid (2–512). Default 256. */
  grid?: number;
  /** Longest side of the embedded texture, rounded to a power of two (64–4096). Default 1024. */
  textureSize?: number;
  /** Longest side of the model in metres. Default 1. */
  size?: number;
  /** Relief depth as a fraction of the size. Default 0.08. */
  depth?: number;
  /** Limits on the input image; defaults as {@link checkImage}. */
  limits?: ImageLimits;
}

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The power of two nearest `n` in log scale, within 1…`max`. */
function pow2(n: number, max: number): number {
  return Math.min(max, 2 ** Math.max(0, Math.round(Math.log2(Math.max(1, n)))));
}

/**
 * A {@link ModelGenerator} that turns a PNG, JPEG or WebP into a textured relief `.glb` that
 * passes the Khronos glTF validator.
 *
 * @example
 * ```ts
 * const model = new EmbeddedModelGenerator();
 * const file = await model.generate({ image: pngBytes, mime: 'image/png' });
 * file.contentType; // 'model/gltf-binary'
 * ```
 */
export class EmbeddedModelGenerator implements ModelGenerator {
  readonly name = 'embedded-relief';
  private readonly grid: number;
  private readonly textureSize: number;
  private readonly size: number;
  private readonly depth: number;
  private readonly limits: Required<ImageLimits>;

  constructor(options: EmbeddedModelOptions = {}) {
    const int = (name: string, v: number | undefined, lo: number, hi: number, dflt: number) => {
      if (v === undefined) return dflt;
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new RangeError(`EmbeddedModelGenerator: ${name} must be an integer from ${lo} to ${hi}`);
      return v;
    };
    this.grid = int('grid', options.grid, 2, 512, 256);
    this.textureSize = int('textureSize', options.textureSize, 64, 4096, 1024);
    if (options.size !== undefined && !(options.size > 0))
      throw new RangeError('EmbeddedModelGenerator: size must be positive');
    if (options.depth !== undefined && !(options.depth >= 0 && options.depth <= 1)) {
      throw new RangeError('EmbeddedModelGenerator: depth must be from 0 to 1');
    }
    this.size = options.size ?? 1;
    this.depth = options.depth ?? 0.08;
    this.limits = { ...DEFAULT_IMAGE_LIMITS, ...options.limits };
  }

  async generate(req: ModelRequest, opts: GenerateOptions = {}): Promise<GeneratedFile> {
    const { signal, onProgress } = opts;
    if (!req || !(req.image instanceof Uint8Array))
      throw new GenerationError('refused', 'model: image must be a Uint8Array');
    const check = checkImage(req.image, { declared: req.mime, limits: this.limits });
    if (!check.ok) throw new GenerationError('refused', `model: ${check.message}`);
    signal?.throwIfAborted();
    onProgress?.(0, 'decode');
    const { default: sharp } = await import('sharp');
    const open = () =>
      sharp(req.image, { limitInputPixels: this.limits.maxPixels, failOn: 'error' }).rotate(); // EXIF orientation

    let grid: { data: Uint8Array; width: number; height: number };
    let hasAlpha: boolean;
    try {
      const meta = await open().metadata();
      hasAlpha = meta.hasAlpha === true;
      const { data, info } = await open()
        .resize({
          width: this.grid,
          height: this.grid,
          fit: 'inside',
          withoutEnlargement: true,
          kernel: 'lanczos3',
        })
        .toColourspace('srgb') // grey, 16-bit and CMYK inputs all become 8-bit sRGB
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 4) throw new Error(`expected 4 channels, got ${info.channels}`);
      grid = {
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        width: info.width,
        height: info.height,
      };
    } catch (cause) {
      throw new GenerationError('refused', `model: the ${check.mime} image could not be decoded`, { cause });
    }
    await pause();
    signal?.throwIfAborted();

    onProgress?.(0.25, 'mask');
    const { width, height, data } = grid;
    const cut = cutout(data, width, height, hasAlpha);
    // Heights from luminance (BT.709 weights), blurred 3×3 within the mask to calm noise.
    const lum = new Float32Array(width * height);
    for (let i = 0; i < lum.length; i++) {
      lum[i] =
        (0.2126 * (data[i * 4] ?? 0) + 0.7152 * (data[i * 4 + 1] ?? 0) + 0.0722 * (data[i * 4 + 2] ?? 0)) /
        255;
    }
    const heights = new Float32Array(width * height);
    let meanR = 0;
    let meanG = 0;
    let meanB = 0;
    let kept = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (!cut.mask[i]) continue;
        let sum = 0;
        let count = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= width || yy >= height || !cut.mask[yy * width + xx]) continue;
            sum += lum[yy * width + xx] ?? 0;
            count++;
          }
        }
        heights[i] = sum / count;
        meanR += data[i * 4] ?? 0;
        meanG += data[i * 4 + 1] ?? 0;
        meanB += data[i * 4 + 2] ?? 0;
        kept++;
      }
    }
    await pause();
    signal?.throwIfAborted();

    onProgress?.(0.45, 'mesh');
    const mesh = reliefMesh(heights, cut.mask, width, height, { size: this.size, depth: this.depth });
    await pause();
    signal?.throwIfAborted();

    onProgress?.(0.7, 'texture');
    // The texture: power-of-two sides (mipmaps everywhere), transparent parts flattened onto the
    // object's mean colour so edges don't darken; JPEG for photos, PNG for everything else.
    const meta = await open().metadata();
    const swapped = (meta.orientation ?? 1) >= 5;
    const srcW = (swapped ? meta.height : meta.width) ?? width;
    const srcH = (swapped ? meta.width : meta.height) ?? height;
    const scale = Math.min(1, this.textureSize / Math.max(srcW, srcH));
    const texW = pow2(srcW * scale, this.textureSize);
    const texH = pow2(srcH * scale, this.textureSize);
    const mean = kept ? { r: meanR / kept, g: meanG / kept, b: meanB / kept } : { r: 128, g: 128, b: 128 };
    const jpeg = req.mime === 'image/jpeg';
    let texture: Uint8Array;
    try {
      const pipeline = open()
        .resize({ width: texW, height: texH, fit: 'fill' })
        .flatten({ background: { r: Math.round(mean.r), g: Math.round(mean.g), b: Math.round(mean.b) } });
      const buf = await (jpeg
        ? pipeline.jpeg({ quality: 88 })
        : pipeline.png({ compressionLevel: 6 })
      ).toBuffer();
      texture = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    } catch (cause) {
      throw new GenerationError('refused', 'model: the texture could not be encoded', { cause });
    }
    signal?.throwIfAborted();

    onProgress?.(0.9, 'pack');
    const bytes = writeGlb({
      mesh,
      texture: { bytes: texture, mimeType: jpeg ? 'image/jpeg' : 'image/png' },
      name: 'relief',
      extras: { source: req.mime, cutout: cut.method },
    });
    onProgress?.(1, 'done');
    return {
      bytes,
      contentType: 'model/gltf-binary',
      extension: 'glb',
      metadata: {
        generator: this.name,
        grid: [width, height],
        cutout: cut.method,
        vertices: mesh.positions.length / 3,
        triangles: mesh.indices.length / 3,
        texture: {
          width: texW,
          height: texH,
          mimeType: jpeg ? 'image/jpeg' : 'image/png',
          bytes: texture.length,
        },
        bounds: { min: mesh.min, max: mesh.max },
        sourceSize: [check.width, check.height],
      },
    };
  }
}
