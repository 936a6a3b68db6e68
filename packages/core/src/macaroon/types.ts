/**
 * The macaroon data model shared by every encoding (V1, V2 binary, JSON).
 *
 * @module
 */

/** One caveat. First-party caveats have only `id` (the `condition=value` bytes). */
export interface MacaroonCaveat {
  /** The caveat identifier: for first-party caveats, the predicate text as bytes. */
  readonly id: Uint8Array;
  /** The verification id of a third-party caveat. */
  readonly vid?: Uint8Array;
  /** The location hint of a third-party caveat. */
  readonly location?: string;
}

/** An immutable macaroon. */
export interface Macaroon {
  readonly location: string;
  readonly identifier: Uint8Array;
  readonly caveats: readonly MacaroonCaveat[];
  /** The 32-byte HMAC-SHA256 chain signature. Secret-equivalent for bearer use. */
  readonly signature: Uint8Array;
}

/** Caps that keep decoding of untrusted input bounded. */
export const MACAROON_LIMITS = {
  /** Largest encoded macaroon accepted (bytes). */
  maxBytes: 8192,
  /** Most caveats accepted in one macaroon. */
  maxCaveats: 64,
} as const;
