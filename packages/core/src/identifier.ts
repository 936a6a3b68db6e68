/**
 * The L402 macaroon identifier, version 0, as Aperture mints it (`l402/identifier.go`):
 * `uint16 version (big-endian) ‖ payment_hash (32) ‖ token_id (32)` = 66 bytes.
 *
 * lnget requires exactly this layout, so farebox mints nothing else.
 *
 * @module
 */
import { toHex } from './bytes.js';
import { ErrorCodes, FareboxError, invalidArgument } from './errors.js';

/** Length of a version-0 identifier. */
export const IDENTIFIER_V0_LENGTH = 66;

/** A decoded L402 identifier. */
export interface L402Identifier {
  version: 0;
  /** The Lightning payment hash this token is paid by (32 bytes). */
  paymentHash: Uint8Array;
  /** The token's unique id (32 bytes). */
  tokenId: Uint8Array;
}

/**
 * Encodes an identifier.
 *
 * @example
 * ```ts
 * import { encodeIdentifier, randomBytes } from '@farebox/core';
 * const id = encodeIdentifier({ version: 0, paymentHash: randomBytes(32), tokenId: randomBytes(32) });
 * ```
 */
export function encodeIdentifier(id: L402Identifier): Uint8Array {
  if (id.version !== 0) invalidArgument('version', '0');
  if (!(id.paymentHash instanceof Uint8Array) || id.paymentHash.length !== 32) {
    invalidArgument('paymentHash', '32 bytes');
  }
  if (!(id.tokenId instanceof Uint8Array) || id.tokenId.length !== 32) invalidArgument('tokenId', '32 bytes');
  const out = new Uint8Array(IDENTIFIER_V0_LENGTH);
  // out[0..2] = version 0, big-endian.
  out.set(id.paymentHash, 2);
  out.set(id.tokenId, 34);
  return out;
}

/**
 * Decodes an identifier. Unknown versions throw L402_UNKNOWN_VERSION; a wrong length
 * L402_MALFORMED_IDENTIFIER.
 *
 * @example
 * ```ts
 * import { decodeIdentifier, encodeIdentifier, randomBytes } from '@farebox/core';
 * const id = decodeIdentifier(encodeIdentifier({ version: 0, paymentHash: randomBytes(32), tokenId: randomBytes(32) }));
 * ```
 */
export function decodeIdentifier(bytes: Uint8Array): L402Identifier {
  if (bytes.length < 2) throw new FareboxError(ErrorCodes.MALFORMED_IDENTIFIER, 'identifier too short');
  const version = (bytes[0]! << 8) | bytes[1]!;
  if (version !== 0) {
    throw new FareboxError(ErrorCodes.UNKNOWN_VERSION, `unknown L402 identifier version ${version}`, {
      data: { version },
    });
  }
  if (bytes.length !== IDENTIFIER_V0_LENGTH) {
    throw new FareboxError(
      ErrorCodes.MALFORMED_IDENTIFIER,
      `version 0 identifier must be ${IDENTIFIER_V0_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  return { version: 0, paymentHash: bytes.subarray(2, 34), tokenId: bytes.subarray(34, 66) };
}

/** Hex form of an identifier's parts, for logs and JSON (no secrets in it). */
export function identifierToJSON(id: L402Identifier): {
  version: number;
  paymentHash: string;
  tokenId: string;
} {
  return { version: id.version, paymentHash: toHex(id.paymentHash), tokenId: toHex(id.tokenId) };
}
