/**
 * The macaroon HMAC chain, as gopkg.in/macaroon.v2 computes it.
 *
 * - The first signature is keyed by a key *derived* from the root key:
 *   `HMAC-SHA256(key = "macaroons-key-generator", msg = rootKey)` (go-macaroon `makeKey`;
 *   the original macaroon paper and some specs say the root key is used as is: it is not,
 *   and tokens from lnd and Aperture only verify with the derived key).
 * - `sig₀ = HMAC(derivedKey, identifier)`; each first-party caveat: `sigᵢ = HMAC(sigᵢ₋₁, caveatId)`.
 * - A third-party caveat: `sigᵢ = HMAC(sigᵢ₋₁, HMAC(sigᵢ₋₁, vid) ‖ HMAC(sigᵢ₋₁, cid))` (`keyedHash2`).
 *
 * @module
 */
import { constantTimeEqual, utf8 } from '../bytes.js';
import { HmacKey, hmacSha256 } from '../crypto/hmac.js';
import type { Macaroon, MacaroonCaveat } from './types.js';

const KEY_GENERATOR = new HmacKey(utf8('macaroons-key-generator'));

/** The key go-macaroon actually signs with: HMAC("macaroons-key-generator", rootKey). */
export function deriveMacaroonKey(rootKey: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  return KEY_GENERATOR.mac(rootKey, out);
}

const PAIR = new Uint8Array(64);

/** Advances a chain signature over one caveat, in place. */
export function chainCaveat(sig: Uint8Array, caveat: MacaroonCaveat): Uint8Array {
  if (caveat.vid === undefined) return hmacSha256(sig, caveat.id, sig);
  hmacSha256(sig, caveat.vid, PAIR.subarray(0, 32));
  hmacSha256(sig, caveat.id, PAIR.subarray(32));
  return hmacSha256(sig, PAIR, sig);
}

/** Computes the signature a macaroon should carry under `rootKey`. */
export function computeSignature(
  rootKey: Uint8Array,
  identifier: Uint8Array,
  caveats: readonly MacaroonCaveat[],
): Uint8Array {
  const sig = deriveMacaroonKey(rootKey);
  hmacSha256(sig, identifier, sig);
  for (const c of caveats) chainCaveat(sig, c);
  return sig;
}

/** True when the macaroon's signature is the HMAC chain under `rootKey` (constant-time compare). */
export function signatureMatches(m: Macaroon, rootKey: Uint8Array): boolean {
  return constantTimeEqual(computeSignature(rootKey, m.identifier, m.caveats), m.signature);
}
