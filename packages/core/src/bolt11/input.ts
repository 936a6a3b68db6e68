/**
 * Argument checks for the encoder: each names the bad parameter (`INVALID_ARGUMENT`) so a
 * programming error is reported before any work, never as a malformed invoice.
 *
 * @module
 */
import { fromHex } from '../bytes.js';
import { invalidArgument } from '../errors.js';

/** Bytes given as `Uint8Array` or hex, with an exact length or a maximum. */
export function bytesArg(value: unknown, name: string, length: { exact?: number; max?: number }): Uint8Array {
  const want =
    length.exact !== undefined
      ? `${length.exact} bytes`
      : `at most ${length.max ?? Number.MAX_SAFE_INTEGER} bytes`;
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string') bytes = fromHex(value, name);
  else return invalidArgument(name, `a Uint8Array or hex string of ${want}`);
  if (
    (length.exact !== undefined && bytes.length !== length.exact) ||
    (length.max !== undefined && bytes.length > length.max)
  ) {
    invalidArgument(name, want);
  }
  return bytes;
}

/** An integer in `[min, max]`. */
export function intArg(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidArgument(name, `an integer in ${min}..${max}`);
  }
  return value;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` has no lone surrogate, so UTF-8 encoding does not silently replace characters. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
