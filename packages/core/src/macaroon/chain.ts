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
import { hmacFromStates, hmacSha256, hmacWords, keyStates } from '../crypto/hmac.js';
import { bytesToState, stateToBytes } from '../crypto/sha256.js';
import type { Macaroon, MacaroonCaveat } from './types.js';

const [KEY_GENERATOR_INNER, KEY_GENERATOR_OUTER] = keyStates(utf8('macaroons-key-generator'));

// The chain runs on 8-word states: a signature is the next link's HMAC key, so it never
// needs to become bytes until the end.
const SIG = new Int32Array(8);
const VID_MAC = new Int32Array(8);
const ID_MAC = new Int32Array(8);
const PAIR = new Uint8Array(64);

/** The key go-macaroon actually signs with: HMAC("macaroons-key-generator", rootKey). */
export function deriveMacaroonKey(rootKey: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  hmacFromStates(KEY_GENERATOR_INNER, KEY_GENERATOR_OUTER, rootKey, SIG);
  stateToBytes(SIG, out, 0);
  return out;
}

/** Advances a chain signature (8 words) over one caveat, in place. */
function chainWords(sig: Int32Array, caveat: MacaroonCaveat): void {
  if (caveat.vid === undefined) {
    hmacWords(sig, caveat.id, sig);
    return;
  }
  hmacWords(sig, caveat.vid, VID_MAC);
  hmacWords(sig, caveat.id, ID_MAC);
  stateToBytes(VID_MAC, PAIR, 0);
  stateToBytes(ID_MAC, PAIR, 32);
  hmacWords(sig, PAIR, sig);
}

/** Advances a chain signature over one caveat, in place. */
export function chainCaveat(sig: Uint8Array, caveat: MacaroonCaveat): Uint8Array {
  if (sig.length === 32) {
    bytesToState(sig, 0, SIG);
    chainWords(SIG, caveat);
    stateToBytes(SIG, sig, 0);
    return sig;
  }
  if (caveat.vid === undefined) return hmacSha256(sig, caveat.id, sig);
  hmacSha256(sig, caveat.vid, PAIR.subarray(0, 32));
  hmacSha256(sig, caveat.id, PAIR.subarray(32));
  return hmacSha256(sig, PAIR, sig);
}

/**
 * Computes the chain signature of a macaroon under `rootKey` into `out` (32 bytes), and
 * returns `out`. The work of {@link computeSignature} without the allocation.
 */
export function chainSignature(
  rootKey: Uint8Array,
  identifier: Uint8Array,
  caveats: readonly MacaroonCaveat[],
  out: Uint8Array,
): Uint8Array {
  const sig = SIG;
  hmacFromStates(KEY_GENERATOR_INNER, KEY_GENERATOR_OUTER, rootKey, sig);
  hmacWords(sig, identifier, sig);
  for (const c of caveats) chainWords(sig, c);
  stateToBytes(sig, out, 0);
  return out;
}

/** Computes the signature a macaroon should carry under `rootKey`. */
export function computeSignature(
  rootKey: Uint8Array,
  identifier: Uint8Array,
  caveats: readonly MacaroonCaveat[],
): Uint8Array {
  return chainSignature(rootKey, identifier, caveats, new Uint8Array(32));
}

/** True when the macaroon's signature is the HMAC chain under `rootKey` (constant-time compare). */
export function signatureMatches(m: Macaroon, rootKey: Uint8Array): boolean {
  return constantTimeEqual(computeSignature(rootKey, m.identifier, m.caveats), m.signature);
}
