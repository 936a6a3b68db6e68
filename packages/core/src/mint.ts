/**
 * Minting L402 tokens (Aperture's `mint` role): a macaroon whose identifier binds a
 * Lightning payment hash and a token id, signed with a root key derived from the server
 * secret, with the route's caveats.
 *
 * @module
 */
import { fromHex } from './bytes.js';
import { type Caveat, formatCaveat } from './caveats.js';
import { invalidArgument } from './errors.js';
import { encodeIdentifier } from './identifier.js';
import type { Keyring } from './keyring.js';
import { createMacaroon } from './macaroon/create.js';
import type { Macaroon } from './macaroon/types.js';

/** Options for {@link mintToken}. */
export interface MintOptions {
  keyring: Keyring;
  /** The invoice's payment hash (32 bytes or 64 hex). */
  paymentHash: Uint8Array | string;
  /** Caveats, as parsed objects or `condition=value` strings. */
  caveats?: readonly (Caveat | string)[];
  /** Macaroon location hint (default `farebox`). */
  location?: string;
  /** A token id to use (default: a fresh one from the keyring). */
  tokenId?: Uint8Array;
}

/** A freshly minted token. */
export interface MintedToken {
  macaroon: Macaroon;
  identifier: Uint8Array;
  tokenId: Uint8Array;
  paymentHash: Uint8Array;
}

/**
 * Mints an L402 token for an invoice.
 *
 * @example
 * ```ts
 * import { Keyring, macaroonToBase64, mintToken, randomBytes } from '@farebox/core';
 * const keyring = Keyring.fromSecret(randomBytes(32));
 * const { macaroon } = mintToken({ keyring, paymentHash: randomBytes(32), caveats: ['services=api:0'] });
 * const header = `L402 macaroon="${macaroonToBase64(macaroon)}", invoice="lnbc…"`;
 * ```
 */
export function mintToken(opts: MintOptions): MintedToken {
  const paymentHash =
    typeof opts.paymentHash === 'string' ? fromHex(opts.paymentHash, 'paymentHash') : opts.paymentHash;
  if (!(paymentHash instanceof Uint8Array) || paymentHash.length !== 32)
    invalidArgument('paymentHash', '32 bytes');
  const tokenId = opts.tokenId ?? opts.keyring.newTokenId();
  const identifier = encodeIdentifier({ version: 0, paymentHash, tokenId });
  const macaroon = createMacaroon({
    rootKey: opts.keyring.rootKey(tokenId),
    identifier,
    location: opts.location ?? 'farebox',
    caveats: (opts.caveats ?? []).map((c) => (typeof c === 'string' ? c : formatCaveat(c))),
  });
  return { macaroon, identifier, tokenId, paymentHash };
}
