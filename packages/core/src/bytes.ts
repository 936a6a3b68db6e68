/**
 * Byte helpers on `Uint8Array` only (no `Buffer`), shared by every core module.
 *
 * @module
 */
import { ErrorCodes, FareboxError, invalidArgument } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_DIGITS = new Uint8Array(16).map((_, i) => '0123456789abcdef'.charCodeAt(i));
// Hex of up to 64 bytes is spelled as ASCII into a scratch and decoded in one call, which is
// faster than building the string piece by piece; 32 bytes (ids, hashes) have their own
// scratch so that no view has to be made.
const HEX_SCRATCH = new Uint8Array(128);
const HEX_SCRATCH_64 = new Uint8Array(64);

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= HEX_SCRATCH.length / 2) {
    const t = n === 32 ? HEX_SCRATCH_64 : HEX_SCRATCH;
    for (let i = 0; i < n; i++) {
      const v = bytes[i]!;
      t[2 * i] = HEX_DIGITS[v >> 4]!;
      t[2 * i + 1] = HEX_DIGITS[v & 15]!;
    }
    return decoder.decode(n === 32 ? t : t.subarray(0, 2 * n));
  }
  let out = '';
  for (let i = 0; i < n; i++) out += HEX[bytes[i]!];
  return out;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex (either case). Throws INVALID_ARGUMENT naming `name` on bad input. */
export function fromHex(hex: string, name = 'hex'): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) invalidArgument(name, 'an even-length hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexVal(hex.charCodeAt(2 * i));
    const lo = hexVal(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) invalidArgument(name, 'a hex string');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True when `s` is hex of exactly `bytes` bytes. */
export function isHex(s: string, bytes?: number): boolean {
  if (s.length % 2 !== 0 || (bytes !== undefined && s.length !== bytes * 2)) return false;
  for (let i = 0; i < s.length; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// Decoding table over byte values (either alphabet): the 6-bit value, or -1.
const B64_DECODE = new Int32Array(256).fill(-1);
const B64_SCRATCH = new Uint8Array(4096);
for (let i = 0; i < 64; i++) {
  B64_DECODE[B64.charCodeAt(i)] = i;
  B64_DECODE[B64URL.charCodeAt(i)] = i;
}

/** Base64 of `bytes`; standard alphabet with padding unless `url` is set (then unpadded base64url). */
export function toBase64(bytes: Uint8Array, url = false): string {
  const alpha = url ? B64URL : B64;
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + alpha[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + (url ? '' : '==');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + (url ? '' : '=');
  }
  return out;
}

/**
 * Decodes base64 in any form seen in the wild: standard or URL alphabet, padded or not.
 * Rejects other characters, a bad length and non-zero trailing bits? No: trailing bits are
 * ignored as most decoders do, but structure is checked. Throws MALFORMED_MACAROON-free
 * INVALID_ARGUMENT naming `name`.
 */
export function fromBase64(s: string, name = 'base64'): Uint8Array {
  if (typeof s !== 'string') invalidArgument(name, 'a base64 string');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  if (s.length - end > 2) invalidArgument(name, 'base64 (too much padding)');
  if (end % 4 === 1) invalidArgument(name, 'base64 (bad length)');
  if (s.length !== end && s.length % 4 !== 0) invalidArgument(name, 'base64 (bad padding)');
  // The characters as bytes: one native `encodeInto` call for inputs that fit the scratch
  // (reading a string char by char costs a representation check per char in V8). Any
  // non-ASCII character is invalid base64 and shows as a UTF-8 expansion.
  let codes: Uint8Array;
  if (s.length <= B64_SCRATCH.length) {
    const r = encoder.encodeInto(s, B64_SCRATCH);
    if (r.read !== s.length || r.written !== s.length) {
      B64_SCRATCH.fill(0, 0, r.written);
      invalidArgument(name, 'base64 (bad character)');
    }
    codes = B64_SCRATCH;
  } else {
    codes = new Uint8Array(end);
    for (let i = 0; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) invalidArgument(name, 'base64 (bad character)');
      codes[i] = c;
    }
  }
  const out = decodeBase64Codes(codes, end);
  if (codes === B64_SCRATCH) codes.fill(0, 0, s.length);
  if (out === undefined) invalidArgument(name, 'base64 (bad character)');
  return out;
}

/**
 * Decodes `end` ASCII codes of base64 (checked for length and padding already); undefined
 * when one is not a base64 character.
 */
function decodeBase64Codes(b: Uint8Array, end: number): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const T = B64_DECODE;
  // Four characters (24 bits) at a time; a character outside both alphabets decodes to -1,
  // which makes the OR of the four negative.
  const whole = end - (end % 4);
  let o = 0;
  let i = 0;
  for (; i < whole; i += 4) {
    const v = (T[b[i]!]! << 18) | (T[b[i + 1]!]! << 12) | (T[b[i + 2]!]! << 6) | T[b[i + 3]!]!;
    if (v < 0) return undefined;
    out[o] = v >> 16;
    out[o + 1] = v >> 8;
    out[o + 2] = v;
    o += 3;
  }
  // 2 or 3 characters left (1 is refused by the caller): 1 or 2 bytes; trailing bits are ignored.
  if (i < end) {
    const three = i + 2 < end;
    const v = (T[b[i]!]! << 18) | (T[b[i + 1]!]! << 12) | (three ? T[b[i + 2]!]! << 6 : 0);
    if (v < 0) return undefined;
    out[o++] = v >> 16;
    if (three) out[o++] = v >> 8;
  }
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte equality in time independent of where the arrays differ (for secrets and MACs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 strictly; throws `code` on invalid UTF-8. */
export function fromUtf8(
  b: Uint8Array,
  code: (typeof ErrorCodes)[keyof typeof ErrorCodes] = ErrorCodes.MALFORMED_MACAROON,
): string {
  try {
    return decoder.decode(b);
  } catch (cause) {
    throw new FareboxError(code, 'invalid UTF-8', { cause });
  }
}

/** Cryptographically secure random bytes (Web Crypto). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}
