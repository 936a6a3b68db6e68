/**
 * Image type and size from the first bytes, without decoding: what the app checks before it
 * charges for a 3D model (the data URI's declared type must match the bytes, and the picture
 * must not be a decompression bomb).
 *
 * Every parser here walks the bytes once, forward, jumping by declared segment lengths, so
 * its time is linear in the input and a hostile header cannot make it loop.
 *
 * @module
 */

/** The image types the 3D service accepts. */
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

/** Dimensions read from an image header. */
export interface ImageSize {
  mime: ImageMime;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32be = (b: Uint8Array, i: number) =>
  (((b[i] ?? 0) << 24) | (u16be(b, i + 1) << 8) | (b[i + 3] ?? 0)) >>> 0;
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const u32le = (b: Uint8Array, i: number) => (u24le(b, i) | ((b[i + 3] ?? 0) << 24)) >>> 0;

/**
 * The image type by magic bytes: PNG (its 8-byte signature, PNG spec §5.2), JPEG (SOI `FF D8`
 * followed by a marker), WebP (`RIFF….WEBP`, RFC 9649 §2.5); `undefined` for anything else.
 *
 * @example
 * ```ts
 * sniffImage(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // 'image/png'
 * sniffImage(new TextEncoder().encode('GIF89a')); // undefined
 * ```
 */
export function sniffImage(bytes: Uint8Array): ImageMime | undefined {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sniffImage: bytes must be a Uint8Array');
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  return undefined;
}

/** PNG: the IHDR chunk must come first (PNG spec §5.6); width and height are at 16 and 20. */
function pngSize(b: Uint8Array): [number, number] | undefined {
  if (b.length < 24 || u32be(b, 8) !== 13 || !ascii(b, 12, 'IHDR')) return undefined;
  return [u32be(b, 16), u32be(b, 20)];
}

/**
 * JPEG: walk the marker segments (ITU T.81 §B.1.1) to the first SOFn frame header; its
 * Y (height) and X (width) fields follow the sample precision. Stops at SOS or EOI.
 */
function jpegSize(b: Uint8Array): [number, number] | undefined {
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) return undefined;
    let marker = b[i + 1] ?? 0;
    // Any number of 0xFF fill bytes may precede a marker (T.81 §B.1.1.2).
    while (marker === 0xff && i + 2 < b.length) {
      i++;
      marker = b[i + 1] ?? 0;
    }
    i += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length field
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or scan before a frame
    if (i + 2 > b.length) return undefined;
    const length = u16be(b, i);
    if (length < 2) return undefined;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (length < 8 || i + 7 > b.length) return undefined;
      return [u16be(b, i + 5), u16be(b, i + 3)];
    }
    i += length;
  }
  return undefined;
}

/** WebP: the first chunk is `VP8 `, `VP8L` or `VP8X` (RFC 9649 §2.5–2.7). */
function webpSize(b: Uint8Array): [number, number] | undefined {
  if (ascii(b, 12, 'VP8 ')) {
    // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height (RFC 6386 §9.1).
    if (b.length < 30 || !startsWith(b, [0x9d, 0x01, 0x2a], 23)) return undefined;
    return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  }
  if (ascii(b, 12, 'VP8L')) {
    // Lossless: signature 0x2F, then width-1 and height-1 as two 14-bit fields (RFC 9649 §3.2).
    if (b.length < 25 || b[20] !== 0x2f) return undefined;
    const bits = u32le(b, 21);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (ascii(b, 12, 'VP8X')) {
    // Extended: canvas width-1 and height-1 as 24-bit fields (RFC 9649 §2.7).
    if (b.length < 30) return undefined;
    return [u24le(b, 24) + 1, u24le(b, 27) + 1];
  }
  return undefined;
}

/**
 * The type and dimensions from the header alone; `undefined` when the bytes are not a PNG,
 * JPEG or WebP, or the header is truncated or malformed (including a zero dimension).
 *
 * @example
 * ```ts
 * const size = imageSize(bytes);
 * if (!size || size.width > 8192 || size.height > 8192) throw new Error('image: too large');
 * ```
 */
export function imageSize(bytes: Uint8Array): ImageSize | undefined {
  const mime = sniffImage(bytes);
  if (!mime) return undefined;
  const dims =
    mime === 'image/png' ? pngSize(bytes) : mime === 'image/jpeg' ? jpegSize(bytes) : webpSize(bytes);
  if (!dims || dims[0] <= 0 || dims[1] <= 0) return undefined;
  return { mime, width: dims[0], height: dims[1] };
}
