/**
 * The checks adapters share. A caller's input fails with INVALID_ARGUMENT naming the
 * parameter, before any request; a backend's answer fails with LN_BAD_RESPONSE naming the
 * backend and the field, so that an answer that is not the backend's (a proxy's page,
 * another server) is never taken for one.
 *
 * @module
 */
import {
  type DecodedInvoice,
  decodeInvoice,
  ErrorCodes,
  type FareboxError,
  fromHex,
  invalidArgument,
  isHex,
  sha256,
  toHex,
} from '@farebox/core';
import { lnError } from './http.js';

/**
 * Whether a parsed JSON value is an object (not null, not an array).
 *
 * @example
 * ```ts
 * isObject({ a: 1 }); // true
 * isObject([1]); // false
 * ```
 */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A 32-byte hex input (a payment hash, a description hash, a preimage), lowercased.
 * Throws INVALID_ARGUMENT naming `name`.
 *
 * @example
 * ```ts
 * checkHash('AB'.repeat(32)); // 'abab…ab'
 * checkHash('xyz', 'descriptionHash'); // throws INVALID_ARGUMENT, data.parameter 'descriptionHash'
 * ```
 */
export function checkHash(v: unknown, name = 'paymentHash'): string {
  if (typeof v !== 'string' || !isHex(v, 32)) invalidArgument(name, '64 hex digits');
  return v.toLowerCase();
}

/** Checks of one backend's answers, from {@link answerChecks}. */
export interface AnswerChecks {
  /** An LN_BAD_RESPONSE error of this backend. */
  bad(message: string, data?: Record<string, unknown>): FareboxError;
  /** A field holding 32 bytes of hex (a hash, a preimage), lowercased. */
  hash32(v: unknown, field: string): string;
  /** A field holding a non-negative safe integer (sats, msat, a count), as a bigint. */
  count(v: unknown, field: string): bigint;
  /** A preimage field (32 bytes of hex) that must hash to `paymentHash`, lowercased. */
  matchingPreimage(v: unknown, expect: { field: string; paymentHash: string }): string;
  /**
   * An invoice the backend made, decoded: it must decode and carry the payment hash the
   * backend reported beside it. `where` names the invoice in errors (`invoice: "bolt11"`),
   * `hashField` the hash's field.
   */
  ownInvoice(text: string, expect: { paymentHash: string; where: string; hashField: string }): DecodedInvoice;
}

/**
 * The answer checks of one backend: each failure is an LN_BAD_RESPONSE of that backend, and
 * the field checks name the field in `data.field`.
 *
 * @example
 * ```ts
 * const { hash32, count } = answerChecks('phoenixd');
 * hash32('ab'.repeat(32), 'paymentHash'); // 'abab…ab'
 * count(-1, 'balanceSat'); // throws LN_BAD_RESPONSE 'phoenixd: "balanceSat" is not a non-negative integer'
 * ```
 */
export function answerChecks(backend: string): AnswerChecks {
  const bad = (message: string, data: Record<string, unknown> = {}): FareboxError =>
    lnError(ErrorCodes.LN_BAD_RESPONSE, backend, message, data);
  const checks: AnswerChecks = {
    bad,
    hash32(v, field) {
      if (typeof v !== 'string' || !isHex(v, 32)) throw bad(`"${field}" is not 32 bytes of hex`, { field });
      return v.toLowerCase();
    },
    count(v, field) {
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
      throw bad(`"${field}" is not a non-negative integer`, { field });
    },
    matchingPreimage(v, { field, paymentHash }) {
      const pre = checks.hash32(v, field);
      if (toHex(sha256(fromHex(pre))) !== paymentHash)
        throw bad('the preimage does not match the payment hash');
      return pre;
    },
    ownInvoice(text, { paymentHash, where, hashField }) {
      let decoded: DecodedInvoice;
      try {
        decoded = decodeInvoice(text);
      } catch (e) {
        throw lnError(ErrorCodes.LN_BAD_RESPONSE, backend, `${where} does not decode`, {}, e);
      }
      if (decoded.paymentHash !== paymentHash) throw bad(`${where} does not carry "${hashField}"`);
      return decoded;
    },
  };
  return checks;
}
