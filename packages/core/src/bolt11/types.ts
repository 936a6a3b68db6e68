/**
 * Shapes of decoded BOLT11 invoices and of the fields accepted by the encoder.
 *
 * Byte strings are lowercase hex in decoded output; the encoder takes `Uint8Array` or hex.
 *
 * @module
 */

/** Bitcoin networks with a BOLT11 prefix (BOLT #11 "Human-Readable Part"). */
export type Network = 'mainnet' | 'testnet' | 'signet' | 'regtest';

/**
 * One hop of an `r` field (BOLT #11 "Tagged Fields"): the channel from `pubkey` towards the payee,
 * with the fees and delta from its `channel_update` (BOLT #7).
 */
export interface RouteHintHop {
  /** Node id at the start of the channel: 33-byte compressed public key, hex. */
  pubkey: string;
  /** Short channel id as `block x tx x output`, e.g. `589390x3312x1`. */
  shortChannelId: string;
  /** Base fee in millisatoshi (u32). */
  feeBaseMsat: number;
  /** Proportional fee in millionths (u32). */
  feeProportionalMillionths: number;
  /** CLTV expiry delta (u16). */
  cltvExpiryDelta: number;
}

/** One `r` field: an ordered route from a public node to the payee. */
export type RouteHint = RouteHintHop[];

/**
 * An on-chain fallback address (`f` field) in raw form: `version` 0..16 is a witness version with
 * its witness program, 17 is P2PKH (20-byte hash), 18 is P2SH (20-byte hash). Turning this into an
 * address string needs the network's address prefixes and is left to the caller.
 */
export interface FallbackAddress {
  version: number;
  /** Witness program or hash, hex. */
  program: string;
}

/**
 * A tagged field this decoder does not know, kept so nothing is lost (BOLT #11 readers must
 * skip unknown fields, not fail).
 */
export interface UnknownTag {
  /** The 5-bit field type (0..31). */
  tag: number;
  /** Length of the field data in 5-bit words (0..1023). */
  wordLength: number;
  /** The data words packed MSB-first into bytes, zero-padded to a byte boundary, hex. */
  data: string;
}

/** A decoded, signature-checked BOLT11 invoice. */
export interface DecodedInvoice {
  /** The invoice normalized: lowercase, without a `lightning:` prefix. */
  paymentRequest: string;
  network: Network;
  /** Requested amount in millisatoshi; `undefined` when the invoice leaves it to the payer. */
  amountMsat: bigint | undefined;
  /** Creation time, unix seconds. */
  timestamp: number;
  /** `x` field, default 3600. */
  expirySeconds: number;
  /** `timestamp + expirySeconds`, unix seconds. */
  expiresAt: number;
  /** `p` field: SHA-256 payment hash, hex (32 bytes). */
  paymentHash: string;
  /** `s` field: payment secret, hex (32 bytes). */
  paymentSecret?: string;
  /** `d` field: UTF-8 description. Exactly one of `description` / `descriptionHash` is set. */
  description?: string;
  /** `h` field: SHA-256 of a longer description, hex. */
  descriptionHash?: string;
  /** Payee node id (from the `n` field, or recovered from the signature): 33-byte compressed key, hex. */
  payee: string;
  /** `c` field (`min_final_cltv_expiry_delta`), default 18. */
  minFinalCltvExpiry: number;
  /** `f` fields with a known version, most preferred first. */
  fallbackAddresses?: FallbackAddress[];
  /** `r` fields, one route each. */
  routeHints?: RouteHint[];
  /** `9` field: the set feature bits, ascending (bit 0 is the least significant). */
  features?: number[];
  /** `m` field: payment metadata, hex. */
  metadata?: string;
  /** Compact signature `r ‖ s`, hex (64 bytes). */
  signature: string;
  /** Recovery id (0..3) that followed the signature. */
  recoveryFlag: number;
  /** Tagged fields of unknown type, in invoice order. */
  unknownTags: UnknownTag[];
}

/** Options for {@link decodeInvoice}. */
export interface DecodeInvoiceOptions {
  /**
   * Longest input accepted, in characters, counted before anything else (including any
   * `lightning:` prefix). Default 7089, the most a QR code holds in alphanumeric mode.
   */
  maxLength?: number;
  /**
   * Accept invoices without an `s` (payment secret) field. BOLT #11 says a reader MUST fail such
   * invoices, so the default is `false`; set it only to read old invoices.
   */
  allowMissingPaymentSecret?: boolean;
}

/** A route hint hop as accepted by {@link encodeInvoice}. */
export interface RouteHintHopInput {
  /** 33-byte compressed public key (bytes or hex). */
  pubkey: Uint8Array | string;
  /** `block x tx x output` string (`589390x3312x1`) or the 64-bit integer form. */
  shortChannelId: string | bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  cltvExpiryDelta: number;
}

/** A fallback address as accepted by {@link encodeInvoice}. */
export interface FallbackAddressInput {
  /** 0..16 witness version, 17 P2PKH, 18 P2SH. */
  version: number;
  program: Uint8Array | string;
}

/** Fields for {@link encodeInvoice}. */
export interface EncodeInvoiceFields {
  network: Network;
  /** Amount in millisatoshi (positive); omit for an any-amount invoice. */
  amountMsat?: bigint;
  /** Unix seconds (0..2^35-1); defaults to now. */
  timestamp?: number;
  /** 32 bytes (bytes or hex). */
  paymentHash: Uint8Array | string;
  /**
   * 32 bytes (bytes or hex). Optional here, but BOLT #11 requires it and spec-conforming readers
   * (including {@link decodeInvoice} by default) refuse invoices without it.
   */
  paymentSecret?: Uint8Array | string;
  /** Inline description (at most 639 UTF-8 bytes). Give this or `descriptionHash`, not both. */
  description?: string;
  /** SHA-256 of the description, 32 bytes (bytes or hex). */
  descriptionHash?: Uint8Array | string;
  /** `x` field in seconds; omitted when undefined (readers then assume 3600). */
  expirySeconds?: number;
  /** `c` field; omitted when undefined (readers then assume 18). */
  minFinalCltvExpiry?: number;
  /** Feature bits to set (`9` field), e.g. `[8, 14]`. Omitted when empty. */
  features?: readonly number[];
  /** `m` field (bytes or hex, at most 639 bytes). */
  metadata?: Uint8Array | string;
  /** `r` fields, one route (1..12 hops) each. */
  routeHints?: readonly (readonly RouteHintHopInput[])[];
  /** `f` fields, most preferred first. */
  fallbackAddresses?: readonly FallbackAddressInput[];
  /** Also write the payee's node id as an `n` field (readers then verify instead of recovering). */
  includePayeeNodeId?: boolean;
}
