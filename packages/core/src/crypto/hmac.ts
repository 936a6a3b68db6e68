/**
 * HMAC-SHA256 (RFC 2104) with reusable precomputed key states.
 *
 * A key is absorbed once into its inner (ipad) and outer (opad) SHA-256 states; each
 * MAC then costs only the message blocks plus one outer block. Macaroon chains key every
 * step with the previous signature, so {@link hmacSha256} is the one-shot form and
 * {@link HmacKey} the reusable one (server secrets, the macaroon key generator).
 *
 * Internally the inner digest goes to the outer hash as words, never as bytes, and a chain
 * of 32-byte keys ({@link hmacWords}) stays in words from one link to the next.
 *
 * @module
 */
import {
  absorbFinal,
  absorbFinal32,
  compressWords,
  copyState,
  SHA256_IV,
  sha256,
  stateToBytes,
} from './sha256.js';

const BLOCK = 64;
const IPAD = 0x36363636;
const OPAD = 0x5c5c5c5c;

// Scratch states (the hash is synchronous and not re-entrant, so one set suffices).
const INNER = new Int32Array(8);
const OUTER = new Int32Array(8);
// The key blocks of a 32-byte key: words 0-7 are key ^ pad (written per key), 8-15 the pad.
const IPAD_BLOCK = new Int32Array(16).fill(IPAD);
const OPAD_BLOCK = new Int32Array(16).fill(OPAD);

/** Absorbs `key` (any length) into fresh inner and outer states, in `inner` and `outer`. */
function keyInto(key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  const k = key.length > BLOCK ? sha256(key) : key;
  const n = k.length;
  const ib = IPAD_BLOCK;
  const ob = OPAD_BLOCK;
  // The key as 16 big-endian words, zero-padded to the block size.
  for (let i = 0, o = 0; i < 16; i++, o += 4) {
    let w = 0;
    if (o + 4 <= n) w = (k[o]! << 24) | (k[o + 1]! << 16) | (k[o + 2]! << 8) | k[o + 3]!;
    else for (let j = o; j < n; j++) w |= k[j]! << (24 - 8 * (j - o));
    ib[i] = w ^ IPAD;
    ob[i] = w ^ OPAD;
  }
  compressWords(inner, ib, SHA256_IV);
  compressWords(outer, ob, SHA256_IV);
  // hmacWords relies on words 8-15 holding the bare pads.
  for (let i = 8; i < 16; i++) {
    ib[i] = IPAD;
    ob[i] = OPAD;
  }
}

/** The inner (ipad) and outer (opad) states of `key`, for {@link hmacFromStates}. */
export function keyStates(key: Uint8Array): [Int32Array, Int32Array] {
  const inner = new Int32Array(8);
  const outer = new Int32Array(8);
  keyInto(key, inner, outer);
  return [inner, outer];
}

/**
 * HMAC from precomputed key states: the MAC of `msg` as 8 words into `out` (which may be
 * any array, including the scratch of a chain).
 */
export function hmacFromStates(inner: Int32Array, outer: Int32Array, msg: Uint8Array, out: Int32Array): void {
  copyState(INNER, inner);
  absorbFinal(INNER, BLOCK, msg);
  absorbFinal32(out, INNER, outer);
}

/**
 * HMAC-SHA256 keyed by a 32-byte key given as 8 big-endian words (a previous MAC in a
 * chain); the MAC goes as 8 words into `out`, which may be `key` itself.
 */
export function hmacWords(key: Int32Array, msg: Uint8Array, out: Int32Array): void {
  const ib = IPAD_BLOCK;
  const ob = OPAD_BLOCK;
  for (let i = 0; i < 8; i++) {
    const k = key[i]!;
    ib[i] = k ^ IPAD;
    ob[i] = k ^ OPAD;
  }
  compressWords(INNER, ib, SHA256_IV);
  compressWords(OUTER, ob, SHA256_IV);
  absorbFinal(INNER, BLOCK, msg);
  absorbFinal32(out, INNER, OUTER);
}

/**
 * A key prepared for many HMAC-SHA256 computations.
 *
 * @example
 * ```ts
 * import { HmacKey, utf8 } from '@farebox/core';
 * const k = new HmacKey(utf8('secret'));
 * const mac = k.mac(utf8('message')); // 32 bytes
 * ```
 */
export class HmacKey {
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;

  constructor(key: Uint8Array) {
    [this.#inner, this.#outer] = keyStates(key);
  }

  /** HMAC of `msg`, into `out` (32 bytes at `outOff`) or a new array. */
  mac(msg: Uint8Array, out: Uint8Array = new Uint8Array(32), outOff = 0): Uint8Array {
    hmacFromStates(this.#inner, this.#outer, msg, OUTER);
    stateToBytes(OUTER, out, outOff);
    return out;
  }
}

/**
 * One-shot HMAC-SHA256(key, msg).
 *
 * @example
 * ```ts
 * import { hmacSha256, utf8 } from '@farebox/core';
 * hmacSha256(utf8('key'), utf8('The quick brown fox jumps over the lazy dog'));
 * ```
 */
export function hmacSha256(
  key: Uint8Array,
  msg: Uint8Array,
  out: Uint8Array = new Uint8Array(32),
): Uint8Array {
  keyInto(key, INNER, OUTER);
  absorbFinal(INNER, BLOCK, msg);
  absorbFinal32(OUTER, INNER, OUTER);
  stateToBytes(OUTER, out, 0);
  return out;
}
