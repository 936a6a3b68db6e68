/**
 * Verifying an L402 credential with no database and no Lightning call:
 * identifier → root key (from the server secret) → HMAC chain (constant-time) →
 * `sha256(preimage) == payment_hash` → caveats.
 *
 * @module
 */
import { constantTimeEqual, fromUtf8, toHex } from './bytes.js';
import {
  CAVEAT_PREIMAGE,
  type Caveat,
  type CaveatContext,
  type CaveatGrant,
  checkCaveats,
  parseCaveat,
  type Satisfier,
} from './caveats.js';
import { sha256 } from './crypto/sha256.js';
import { ErrorCodes, FareboxError } from './errors.js';
import { decodeIdentifier } from './identifier.js';
import type { Keyring } from './keyring.js';
import { chainSignature } from './macaroon/chain.js';
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

// Scratch for the root key (wiped after use) and the expected signature.
const ROOT_KEY = new Uint8Array(32);
const SIGNATURE = new Uint8Array(32);

function badSignature(): FareboxError {
  return new FareboxError(ErrorCodes.BAD_SIGNATURE, 'token signature is invalid');
}

/** Parses a macaroon's first-party caveats. Third-party caveats are refused (L402 has none). */
export function macaroonCaveats(m: Macaroon): Caveat[] {
  const out: Caveat[] = [];
  for (const c of m.caveats) {
    if (c.vid !== undefined) {
      throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'third-party caveats are not supported');
    }
    out.push(parseCaveat(fromUtf8(c.id, ErrorCodes.CAVEAT_FAILED)));
  }
  return out;
}

/**
 * The context the caveats are checked in: the request's, with the credential's preimage
 * added when the request gave none. Only a `preimage` caveat and custom satisfiers read
 * that, so without either the request's context is used as is (copying an object is
 * costly next to the rest of verification).
 */
function caveatContext(opts: VerifyOptions, caveats: readonly Caveat[]): CaveatContext {
  const context = opts.context;
  if (context.preimage) return context;
  if (opts.satisfiers === undefined || opts.satisfiers.length === 0) {
    let readsPreimage = false;
    for (const c of caveats) if (c.condition === CAVEAT_PREIMAGE) readsPreimage = true;
    if (!readsPreimage) return context;
  }
  return { ...context, preimage: opts.preimage };
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
  const rootKey = keyring.rootKey(id.tokenId, ROOT_KEY);
  const sig = chainSignature(rootKey, m.identifier, m.caveats, SIGNATURE);
  rootKey.fill(0);
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
  const grant = checkCaveats(caveats, caveatContext(opts, caveats), opts.satisfiers);
  return { tokenId, paymentHash: toHex(id.paymentHash), caveats, grant };
}
