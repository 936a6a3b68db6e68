import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkImage, imageSize, sniffImage } from '../src/generators/index.js';

const solid = (
  format: 'png' | 'jpeg' | 'webp',
  width: number,
  height: number,
  opts: { lossless?: boolean } = {},
) => {
  const img = sharp({
    create: { width, height, channels: 4, background: { r: 200, g: 40, b: 40, alpha: 1 } },
  });
  const out =
    format === 'png'
      ? img.png()
      : format === 'jpeg'
        ? img.jpeg()
        : img.webp({ lossless: opts.lossless ?? false });
  return out.toBuffer().then((b) => new Uint8Array(b));
};

/** A PNG signature and IHDR declaring `w × h`, nothing else: what a decompression bomb shows first. */
function pngHeader(w: number, h: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  b[24] = 8;
  b[25] = 6;
  return b;
}

describe('sniffImage and imageSize', () => {
  it('recognises PNG, JPEG and WebP by magic bytes and reads their sizes from the header', async () => {
    const cases = [
      ['png', 'image/png', {}],
      ['jpeg', 'image/jpeg', {}],
      ['webp', 'image/webp', {}],
      ['webp', 'image/webp', { lossless: true }],
    ] as const;
    for (const [format, mime, opts] of cases) {
      const bytes = await solid(format, 37, 23, opts);
      expect(sniffImage(bytes)).toBe(mime);
      expect(imageSize(bytes)).toEqual({ mime, width: 37, height: 23 });
    }
  });

  it('reads the extended WebP (VP8X) header of an image with alpha', async () => {
    const bytes = new Uint8Array(
      await sharp({
        create: { width: 300, height: 5, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } },
      })
        .webp()
        .toBuffer(),
    );
    expect(new TextDecoder().decode(bytes.subarray(12, 16))).toBe('VP8X');
    expect(imageSize(bytes)).toEqual({ mime: 'image/webp', width: 300, height: 5 });
  });

  it('finds the JPEG frame header after APPn segments and fill bytes', async () => {
    const jpeg = await solid('jpeg', 64, 48);
    // Insert an APP1 segment and two 0xFF fill bytes after SOI.
    const app1 = new Uint8Array([0xff, 0xff, 0xff, 0xe1, 0x00, 0x06, 1, 2, 3, 4]);
    const bytes = new Uint8Array([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
    expect(imageSize(bytes)).toEqual({ mime: 'image/jpeg', width: 64, height: 48 });
  });

  it('gives undefined for wrong magic, truncated headers and zero sizes', async () => {
    expect(sniffImage(new TextEncoder().encode('GIF89a......'))).toBeUndefined();
    expect(sniffImage(new Uint8Array(0))).toBeUndefined();
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    const png = await solid('png', 8, 8);
    expect(imageSize(png.subarray(0, 20))).toBeUndefined();
    expect(imageSize(pngHeader(0, 10))).toBeUndefined();
    const jpeg = await solid('jpeg', 8, 8);
    expect(imageSize(jpeg.subarray(0, 4))).toBeUndefined();
    expect(imageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 4, 0, 0]))).toBeUndefined(); // scan before frame
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom([], [0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47]),
        (tail, head) => {
          const bytes = new Uint8Array([...head, ...tail]);
          const size = imageSize(bytes);
          if (size) expect(size.width * size.height).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('checkImage (what the app runs before charging)', () => {
  it('accepts an image of the declared type', async () => {
    const png = await solid('png', 10, 12);
    expect(checkImage(png, { declared: 'image/png' })).toEqual({
      ok: true,
      mime: 'image/png',
      width: 10,
      height: 12,
    });
  });

  it('catches a PNG declared as JPEG', async () => {
    const png = await solid('png', 10, 12);
    const check = checkImage(png, { declared: 'image/jpeg' });
    expect(check).toMatchObject({ ok: false, code: 'image-type-mismatch', detected: 'image/png' });
  });

  it('refuses bytes that are no image, empty files and oversized files', () => {
    expect(checkImage(new TextEncoder().encode('hello world'), { declared: 'image/png' })).toMatchObject({
      ok: false,
      code: 'image-not-recognized',
    });
    expect(checkImage(new Uint8Array(0))).toMatchObject({ ok: false, code: 'image-empty' });
    expect(checkImage(new Uint8Array(2000), { limits: { maxBytes: 1000 } })).toMatchObject({
      ok: false,
      code: 'image-too-large',
    });
  });

  it('refuses decompression bombs by their declared dimensions, without decoding', () => {
    expect(checkImage(pngHeader(100_000, 100_000))).toMatchObject({
      ok: false,
      code: 'image-dimensions-too-large',
    });
    expect(checkImage(pngHeader(8193, 10))).toMatchObject({ ok: false, code: 'image-dimensions-too-large' });
    expect(checkImage(pngHeader(8000, 8000))).toMatchObject({
      ok: false,
      code: 'image-dimensions-too-large',
    }); // 64 MP
    expect(checkImage(pngHeader(4000, 3000))).toMatchObject({ ok: true, width: 4000, height: 3000 });
  });
});
