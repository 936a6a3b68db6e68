/**
 * HMAC-SHA256 (RFC 2104) with reusable precomputed key states.
 *
 * A key is absorbed once into its inner (ipad) and outer (opad) SHA-256 states; each
 * MAC then costs only the message blocks plus one outer block. Macaroon chains key every
 * step with the previous signature, so {@link hmacSha256} is the one-shot form and
 * {@link HmacKey} the reusable one (server secrets, the macaroon key generator).
 *
 * @module
 */
import { sha256, sha256From, stateAfterBlock } from './sha256.js';

const BLOCK = 64;
const PAD = new Uint8Array(BLOCK);
const INNER = new Uint8Array(32);

function keyStates(key: Uint8Array): [Int32Array, Int32Array] {
  const k = key.length > BLOCK ? sha256(key) : key;
  PAD.fill(0x36);
  for (let i = 0; i < k.length; i++) PAD[i] = k[i]! ^ 0x36;
  const inner = stateAfterBlock(PAD);
  PAD.fill(0x5c);
  for (let i = 0; i < k.length; i++) PAD[i] = k[i]! ^ 0x5c;
  const outer = stateAfterBlock(PAD);
  return [inner, outer];
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
    sha256From(this.#inner, BLOCK, msg, INNER);
    sha256From(this.#outer, BLOCK, INNER, out, outOff);
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
export function hmacSha256(key: Uint8Array, msg: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  const [inner, outer] = keyStates(key);
  sha256From(inner, BLOCK, msg, INNER);
  sha256From(outer, BLOCK, INNER, out);
  return out;
}
