/**
 * The one check the app runs on an uploaded image before it charges: the bytes are the
 * declared type, and neither the file nor the picture is absurdly large.
 *
 * @module
 */
import { type ImageMime, type ImageSize, imageSize, sniffImage } from './sniff.js';

/** Limits for {@link checkImage}; every field has a default. */
export interface ImageLimits {
  /** Largest file in bytes. Default 10 MiB. */
  maxBytes?: number;
  /** Largest width or height in pixels. Default 8192. */
  maxSide?: number;
  /**
   * Largest width × height. Default 40 megapixels: a small file that declares more is a
   * decompression bomb (a 1 KB PNG can claim 100,000 × 100,000).
   */
  maxPixels?: number;
}

/** Why an image was refused; stable strings, safe to show in an HTTP 400 body. */
export type ImageCheckCode =
  | 'image-empty'
  | 'image-too-large'
  | 'image-not-recognized'
  | 'image-type-mismatch'
  | 'image-dimensions-too-large';

/** The outcome of {@link checkImage}: a tagged union the app switches on. */
export type ImageCheck =
  | ({ ok: true } & ImageSize)
  | { ok: false; code: ImageCheckCode; message: string; detected?: ImageMime };

/**
 * The limits {@link checkImage} applies by default: 10 MiB, 8192 px a side, 40 megapixels.
 *
 * @example
 * ```ts
 * checkImage(bytes, { limits: { ...DEFAULT_IMAGE_LIMITS, maxBytes: 5 * 1024 * 1024 } });
 * ```
 */
export const DEFAULT_IMAGE_LIMITS: Required<ImageLimits> = {
  maxBytes: 10 * 1024 * 1024,
  maxSide: 8192,
  maxPixels: 40_000_000,
};

/**
 * Checks an upload against its declared type (from the data URI prefix) and the limits.
 *
 * @example
 * ```ts
 * const check = checkImage(bytes, { declared: 'image/jpeg' });
 * if (!check.ok) return Response.json({ errors: { image: check.message }, code: check.code }, { status: 400 });
 * ```
 */
export function checkImage(
  bytes: Uint8Array,
  options: { declared?: ImageMime | string; limits?: ImageLimits } = {},
): ImageCheck {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('checkImage: bytes must be a Uint8Array');
  const limits = { ...DEFAULT_IMAGE_LIMITS, ...options.limits };
  if (bytes.length === 0) return { ok: false, code: 'image-empty', message: 'the image is empty' };
  if (bytes.length > limits.maxBytes) {
    return {
      ok: false,
      code: 'image-too-large',
      message: `the image is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
    };
  }
  const detected = sniffImage(bytes);
  if (!detected) {
    return {
      ok: false,
      code: 'image-not-recognized',
      message: 'the bytes are not a PNG, JPEG or WebP image',
    };
  }
  if (options.declared !== undefined && options.declared !== detected) {
    return {
      ok: false,
      code: 'image-type-mismatch',
      message: `declared as ${options.declared} but the bytes are ${detected}`,
      detected,
    };
  }
  const size = imageSize(bytes);
  if (!size) {
    return {
      ok: false,
      code: 'image-not-recognized',
      message: `the ${detected} header is truncated or malformed`,
      detected,
    };
  }
  if (
    size.width > limits.maxSide ||
    size.height > limits.maxSide ||
    size.width * size.height > limits.maxPixels
  ) {
    return {
      ok: false,
      code: 'image-dimensions-too-large',
      message: `the image is ${size.width}×${size.height}; at most ${limits.maxSide} pixels a side and ${limits.maxPixels} in all are accepted`,
      detected,
    };
  }
  return { ok: true, ...size };
}
