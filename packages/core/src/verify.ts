/**
 * Verifying an L402 credential with no database and no Lightning call:
 * identifier → root key (from the server secret) → HMAC chain (constant-time) →
 * `sha256(preimage) == payment_hash` → caveats.
 *
 * @module
 */
import { constantTimeEqual, fromUtf8, toHex } from './bytes.js';
import { type Caveat, type CaveatContext, type CaveatGrant, checkCaveats, parseCaveat, type Satisfier } from './caveats.js';
import { chainCaveat, deriveMacaroonKey } from './macaroon/chain.js';
import { hmacSha256 } from './crypto/hmac.js';
import { sha256 } from './crypto/sha256.js';
import { ErrorCodes, FareboxError } from './errors.js';
import { decodeIdentifier } from './identifier.js';
import type { Keyring } from './keyring.js';
import type { Macaroon } from './macaroon/types.js';

/** Options for {@link verifyToken}. */
export interface VerifyOptions {
  keyring: Keyring;
  macaroon: Macaroon;
  /** The 32-byte preimage from the credential. */
  preimage: Uint8Array;
  /** What the request asks of the token (service, capability, now, request binding). */
  context: CaveatContext;
  /** Satisfiers for application caveats. */
  satisfiers?: readonly Satisfier[];
  /** Revocation hook: true when the token id (hex) was revoked. */
  isRevoked?: (tokenIdHex: string) => boolean;
}

/** A verified token. */
export interface VerifiedToken {
  /** Token id, hex (the key for usage counting and revocation). */
  tokenId: string;
  /** Payment hash, hex. */
  paymentHash: string;
  caveats: Caveat[];
  grant: CaveatGrant;
}

function badSignature(): FareboxError {
  return new FareboxError(ErrorCodes.BAD_SIGNATURE, 'token signature is invalid');
}

/** Parses a macaroon's first-party caveats. Third-party caveats are refused (L402 has none). */
export function macaroonCaveats(m: Macaroon): Caveat[] {
  return m.caveats.map((c) => {
    if (c.vid !== undefined) {
      throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'third-party caveats are not supported');
    }
    return parseCaveat(fromUtf8(c.id, ErrorCodes.CAVEAT_FAILED));
  });
}

/**
 * Verifies a token and its preimage. Throws FareboxError with a stable code on any failure;
 * the checks run in the order above so that the cheapest forgery test fails first, and
 * nothing about the secret reaches the error.
 *
 * @example
 * ```ts
 * import { Keyring, mintToken, randomBytes, sha256, verifyToken } from '@farebox/core';
 * const keyring = Keyring.fromSecret(randomBytes(32));
 * const preimage = randomBytes(32);
 * const { macaroon } = mintToken({ keyring, paymentHash: sha256(preimage), caveats: ['services=api:0'] });
 * const ok = verifyToken({ keyring, macaroon, preimage, context: { service: 'api', now: Date.now() / 1000 } });
 * ```
 */
export function verifyToken(opts: VerifyOptions): VerifiedToken {
  const { macaroon: m, keyring } = opts;
  const id = decodeIdentifier(m.identifier);
  const sig = keyring.rootKey(id.tokenId);
  deriveMacaroonKey(sig, sig);
  hmacSha256(sig, m.identifier, sig);
  for (const c of m.caveats) chainCaveat(sig, c);
  if (!constantTimeEqual(sig, m.signature)) throw badSignature();
  if (!(opts.preimage instanceof Uint8Array) || opts.preimage.length !== 32) {
    throw new FareboxError(ErrorCodes.WRONG_PREIMAGE, 'preimage must be 32 bytes');
  }
  if (!constantTimeEqual(sha256(opts.preimage), id.paymentHash)) {
    throw new FareboxError(ErrorCodes.WRONG_PREIMAGE, 'preimage does not match the payment hash');
  }
  const tokenId = toHex(id.tokenId);
  if (opts.isRevoked?.(tokenId)) throw new FareboxError(ErrorCodes.REVOKED, 'token was revoked');
  const caveats = macaroonCaveats(m);
  const ctx: CaveatContext = opts.context.preimage ? opts.context : { ...opts.context, preimage: opts.preimage };
  const grant = checkCaveats(caveats, ctx, opts.satisfiers);
  return { tokenId, paymentHash: toHex(id.paymentHash), caveats, grant };
}
