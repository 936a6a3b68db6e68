/**
 * BOLT11 Lightning invoices: decode (with signature check) and encode (with signing).
 *
 * Implements BOLT #11 (`lightning/bolts`, `11-payment-encoding.md`) and is tested against that
 * document's own valid and invalid examples (see `test/vectors/README.md`). Web Standards only:
 * bytes are `Uint8Array`, crypto is `@noble/curves` and `@noble/hashes`, bech32 is `@scure/base`.
 *
 * @example
 * ```ts
 * import { decodeInvoice, encodeInvoice } from '@farebox/core/bolt11';
 * import { randomBytes } from '@farebox/core';
 * import { secp256k1 } from '@noble/curves/secp256k1.js';
 * const nodeKey = secp256k1.utils.randomSecretKey();
 * const invoice = encodeInvoice(
 *   { network: 'signet', amountMsat: 5_000n, paymentHash: randomBytes(32), paymentSecret: randomBytes(32), description: 'hi' },
 *   nodeKey,
 * );
 * decodeInvoice(invoice).amountMsat; // 5000n
 * ```
 *
 * @module
 */
export { DEFAULT_MAX_INVOICE_LENGTH, decodeInvoice } from './decode.js';
export { encodeInvoice } from './encode.js';
export { invoiceIsExpired } from './expiry.js';
export { NETWORK_PREFIX } from './networks.js';
export type {
  DecodedInvoice,
  DecodeInvoiceOptions,
  EncodeInvoiceFields,
  FallbackAddress,
  FallbackAddressInput,
  Network,
  RouteHint,
  RouteHintHop,
  RouteHintHopInput,
  UnknownTag,
} from './types.js';
