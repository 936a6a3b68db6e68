/**
 * Byte helpers on `Uint8Array` only (no `Buffer`), shared by every core module.
 *
 * @module
 */
import { ErrorCodes, FareboxError, invalidArgument } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
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
const B64_DECODE = new Int16Array(128).fill(-1);
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
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_DECODE[c]! : -1;
    if (v < 0) invalidArgument(name, 'base64 (bad character)');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return o === out.length ? out : out.subarray(0, o);
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

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 strictly; throws `code` on invalid UTF-8. */
export function fromUtf8(b: Uint8Array, code: (typeof ErrorCodes)[keyof typeof ErrorCodes] = ErrorCodes.MALFORMED_MACAROON): string {
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
