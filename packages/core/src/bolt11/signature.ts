/**
 * The invoice signature (BOLT #11 "Data Part"): a compact secp256k1 ECDSA signature `r ‖ s` plus
 * a recovery id, over SHA-256 of the human-readable part's UTF-8 bytes followed by the data words
 * before the signature, packed MSB-first and zero-padded to a byte boundary.
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { invalidInvoice } from './errors.js';
import { packWords, wordsToBytes } from './words.js';

/** 520 bits: 64-byte signature and 1-byte recovery id. */
export const SIGNATURE_WORDS = 104;

/**
 * SHA-256 of the signing preimage for `hrp` and the first `end` data words. The hrp has been
 * checked to be ASCII, so its char codes are its UTF-8 bytes; one buffer, no concatenation.
 */
export function signingHash(hrp: string, words: ArrayLike<number>, end: number): Uint8Array {
  const buf = new Uint8Array(hrp.length + Math.ceil((end * 5) / 8));
  for (let i = 0; i < hrp.length; i++) buf[i] = hrp.charCodeAt(i);
  packWords(words, 0, end, buf, hrp.length, true);
  return sha256(buf);
}

/** The 64-byte compact signature and recovery id in the last 104 words. */
export function readSignature(
  words: ArrayLike<number>,
  start: number,
): { compact: Uint8Array; recoveryFlag: number } {
  const bytes = wordsToBytes(words, start, start + SIGNATURE_WORDS);
  const recoveryFlag = bytes[64]!;
  if (recoveryFlag > 3) invalidInvoice('signature recovery id must be 0..3', { recoveryFlag });
  return { compact: bytes.subarray(0, 64), recoveryFlag };
}

function parseCompact(compact: Uint8Array) {
  try {
    return secp256k1.Signature.fromBytes(compact, 'compact');
  } catch (cause) {
    return invalidInvoice('signature r or s is out of range', undefined, cause);
  }
}

/**
 * Recovers the payee key (BOLT #11: without an `n` field the reader MUST perform public-key
 * recovery and accept both high-S and low-S signatures). Returns the 33-byte compressed key.
 */
export function recoverPayee(compact: Uint8Array, recoveryFlag: number, hash: Uint8Array): Uint8Array {
  const sig = parseCompact(compact);
  try {
    return sig.addRecoveryBit(recoveryFlag).recoverPublicKey(hash).toBytes(true);
  } catch (cause) {
    return invalidInvoice('signature is not recoverable', undefined, cause);
  }
}

/**
 * Verifies against the `n` field's key (BOLT #11: with a valid `n` field the reader MUST verify
 * with it instead of recovering, and MUST fail a signature that is not low-S).
 */
export function verifyPayee(compact: Uint8Array, hash: Uint8Array, payee: Uint8Array): void {
  const sig = parseCompact(compact);
  if (sig.hasHighS()) invalidInvoice('signature is not low-S, which is required with an n field');
  if (!secp256k1.verify(compact, hash, payee, { prehash: false, lowS: true })) {
    invalidInvoice('signature does not match the payee key in the n field');
  }
}

/**
 * Signs with RFC 6979 deterministic nonces (low-S) and returns the 65 bytes BOLT #11 stores:
 * `r ‖ s ‖ recovery id`.
 */
export function signatureBytes(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  // noble's 'recovered' format is `recovery ‖ r ‖ s`; BOLT #11 puts the recovery id last.
  const sig = secp256k1.sign(hash, privateKey, { prehash: false, format: 'recovered' });
  const bytes = new Uint8Array(65);
  bytes.set(sig.subarray(1), 0);
  bytes[64] = sig[0]!;
  return bytes;
}
