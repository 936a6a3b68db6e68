/**
 * One error class for everything farebox refuses, with a stable string `code`.
 *
 * The same code appears in HTTP JSON bodies (`{"error":{"code":…}}`), in the CLI's
 * `--json` output and in logs, so callers switch on `err.code`, never on messages.
 * Messages never contain secrets (root keys, preimages, macaroon signatures).
 *
 * @module
 */

/** Every code farebox's core can raise. Stable: codes are added, never renamed. */
export const ErrorCodes = {
  /** An argument to a farebox function has the wrong type or range (a programming error). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A header could not be parsed (no scheme, broken quoting, missing parameter). */
  MALFORMED_HEADER: 'L402_MALFORMED_HEADER',
  /** An input is larger than the parser accepts (header, macaroon, invoice). */
  TOO_LARGE: 'L402_TOO_LARGE',
  /** A macaroon's bytes are not a valid V1, V2 or JSON macaroon. */
  MALFORMED_MACAROON: 'L402_MALFORMED_MACAROON',
  /** The macaroon identifier is not a known L402 identifier. */
  MALFORMED_IDENTIFIER: 'L402_MALFORMED_IDENTIFIER',
  /** The identifier carries a version this implementation does not know. */
  UNKNOWN_VERSION: 'L402_UNKNOWN_VERSION',
  /** The HMAC chain does not match: forged or tampered token, or another server's key. */
  BAD_SIGNATURE: 'L402_BAD_SIGNATURE',
  /** The key id in the token names no key this server holds. */
  UNKNOWN_KEY: 'L402_UNKNOWN_KEY',
  /** sha256(preimage) differs from the payment hash in the token. */
  WRONG_PREIMAGE: 'L402_WRONG_PREIMAGE',
  /** The token's validity has ended. */
  EXPIRED: 'L402_EXPIRED',
  /** A caveat is not satisfied (other service, capability, request, ...). */
  CAVEAT_FAILED: 'L402_CAVEAT_FAILED',
  /** A caveat was appended that widens an earlier one. */
  CAVEAT_WIDENED: 'L402_CAVEAT_WIDENED',
  /** Strict mode: a caveat this server does not understand. */
  UNKNOWN_CAVEAT: 'L402_UNKNOWN_CAVEAT',
  /** The token was revoked. */
  REVOKED: 'L402_REVOKED',
  /** The token was issued for another service. */
  WRONG_SERVICE: 'L402_WRONG_SERVICE',
  /** The token is bound to another request (method, path, query or body). */
  REQUEST_MISMATCH: 'L402_REQUEST_MISMATCH',
  /** A BOLT11 invoice could not be decoded or its signature is invalid. */
  INVALID_INVOICE: 'BOLT11_INVALID',

  // Server answers (@farebox/server).
  /** No credential: pay the invoice in the challenge. */
  PAYMENT_REQUIRED: 'L402_PAYMENT_REQUIRED',
  /** The token's uses are spent: pay again. */
  TOKEN_USED: 'L402_TOKEN_USED',
  /** The token is being used by another request right now. */
  TOKEN_IN_USE: 'L402_TOKEN_IN_USE',
  /** Too many requests (per IP or per token). */
  RATE_LIMITED: 'L402_RATE_LIMITED',
  /** The request is invalid; nothing was charged (`data.fields` lists the errors). */
  INVALID_REQUEST: 'L402_INVALID_REQUEST',
  /** The Lightning backend is down: no invoice can be issued now (paid tokens still work). */
  BACKEND_UNAVAILABLE: 'L402_BACKEND_UNAVAILABLE',
  /** A bare payment hash was sent where only L402 tokens are accepted. */
  PAYMENT_HASH_NOT_ACCEPTED: 'L402_PAYMENT_HASH_NOT_ACCEPTED',
  /** The invoice of a bare payment hash is not settled. */
  NOT_PAID: 'L402_NOT_PAID',
  /** The payment hash names no invoice this server issued. */
  UNKNOWN_INVOICE: 'L402_UNKNOWN_INVOICE',

  // The gateway (@farebox/gateway).
  /** A configuration file is invalid (`data.file`, `data.line`, `data.field`). */
  CONFIG_INVALID: 'CONFIG_INVALID',

  // Paying clients (@farebox/client).
  /** Paying would exceed a budget limit (`data.limit` says which). */
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  /** The host is not on the allow-list, or is on the deny-list. */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  /** The wallet could not pay (`data.reason` carries the wallet's code). */
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  /** The 402 answer carries no usable challenge, or its invoice does not match what was advertised. */
  INVALID_CHALLENGE: 'INVALID_CHALLENGE',
  /** The server refused a token that was paid for; the receipt is kept. */
  PAID_BUT_REJECTED: 'PAID_BUT_REJECTED',
  /** The approval callback (or a human) said no. */
  APPROVAL_DENIED: 'APPROVAL_DENIED',
  /**
   * A payment for this call, started earlier (by a process that died, or one that timed
   * out), is not known to have finished: the client will not pay again until the wallet
   * says how it ended (`data.paymentHash`).
   */
  PAYMENT_PENDING: 'PAYMENT_PENDING',

  // Lightning backends (@farebox/lightning).
  /** The backend could not be reached (connection refused, DNS, TLS). */
  LN_UNREACHABLE: 'LN_UNREACHABLE',
  /** The backend refused the credentials (macaroon, key, rune, password). */
  LN_UNAUTHORIZED: 'LN_UNAUTHORIZED',
  /** The backend answered with something that is not its API (HTML, 5xx, broken stream). */
  LN_BAD_RESPONSE: 'LN_BAD_RESPONSE',
  /** A call did not finish within its timeout. */
  LN_TIMEOUT: 'LN_TIMEOUT',
  /** No invoice with that payment hash. */
  LN_NOT_FOUND: 'LN_NOT_FOUND',
  /** The payment found no route. */
  LN_NO_ROUTE: 'LN_NO_ROUTE',
  /** The wallet's balance does not cover the payment and fees. */
  LN_INSUFFICIENT_BALANCE: 'LN_INSUFFICIENT_BALANCE',
  /** The invoice expired before it was paid. */
  LN_INVOICE_EXPIRED: 'LN_INVOICE_EXPIRED',
  /** The invoice was already paid. */
  LN_ALREADY_PAID: 'LN_ALREADY_PAID',
  /** The payment failed for another reason (`data.reason` says which). */
  LN_PAYMENT_FAILED: 'LN_PAYMENT_FAILED',
  /** The backend does not support this operation (e.g. hold invoices). */
  LN_UNSUPPORTED: 'LN_UNSUPPORTED',
  /** A connection string or backend option is invalid. */
  LN_BAD_CONFIG: 'LN_BAD_CONFIG',
  /** The dev node refused to start in production. */
  LN_DEV_IN_PRODUCTION: 'LN_DEV_IN_PRODUCTION',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Options for {@link FareboxError}. */
export interface FareboxErrorOptions {
  /** Structured, secret-free details (field names, limits, caveat names). */
  data?: Record<string, unknown>;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/**
 * The error farebox throws. Switch on `code`.
 *
 * @example
 * ```ts
 * import { FareboxError, ErrorCodes } from '@farebox/core';
 * try {
 *   throw new FareboxError(ErrorCodes.EXPIRED, 'token expired');
 * } catch (err) {
 *   if (err instanceof FareboxError && err.code === 'L402_EXPIRED') console.log('pay again');
 * }
 * ```
 */
export class FareboxError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FareboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FareboxError';
    this.code = code;
    this.data = options.data ?? {};
  }

  /** A JSON shape safe to send to clients: `{ code, message, data }`. */
  toJSON(): { code: ErrorCode; message: string; data?: Record<string, unknown> } {
    return Object.keys(this.data).length > 0
      ? { code: this.code, message: this.message, data: this.data }
      : { code: this.code, message: this.message };
  }
}

/** True when `err` is a {@link FareboxError}, optionally with the given code. */
export function isFareboxError(err: unknown, code?: ErrorCode): err is FareboxError {
  return err instanceof FareboxError && (code === undefined || err.code === code);
}

/** Throws INVALID_ARGUMENT naming the parameter. */
export function invalidArgument(name: string, expected: string): never {
  throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"${name}" must be ${expected}`, {
    data: { parameter: name },
  });
}
