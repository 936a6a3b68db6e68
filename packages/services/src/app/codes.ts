/**
 * The services app's own error codes, as they appear in HTTP JSON bodies
 * (`{"error":{"code":…,"message":…,"data":…}}`). Payment refusals keep the engine's `L402_*`
 * codes (see docs/errors.md); these cover what happens after a payment.
 *
 * @module
 */

/** Stable codes: added, never renamed. */
export const ServiceCodes = {
  /** The generation failed for a passing reason; nothing was used: repeat the request with the same token. */
  GENERATION_FAILED: 'SERVICE_GENERATION_FAILED',
  /** The generator refuses this input for good; the payment can be refunded (`data.refund`). */
  GENERATION_REFUSED: 'SERVICE_GENERATION_REFUSED',
  /** A job or refund call without an L402 credential. */
  CREDENTIAL_REQUIRED: 'SERVICE_CREDENTIAL_REQUIRED',
  /** No job for this token (never paid here, or its record expired). */
  JOB_NOT_FOUND: 'SERVICE_JOB_NOT_FOUND',
  /** A refund was asked for a job that did not end in a refusal. */
  REFUND_NOT_ALLOWED: 'SERVICE_REFUND_NOT_ALLOWED',
  /** This server cannot pay refunds (its backend only issues invoices, or refunds are off). */
  REFUND_UNAVAILABLE: 'SERVICE_REFUND_UNAVAILABLE',
  /** The refund invoice is unusable (`data.reason`: amount, network, expired, …). */
  REFUND_INVALID_INVOICE: 'SERVICE_REFUND_INVALID_INVOICE',
  /** The refund was already paid (`data.refund` says where). */
  REFUND_ALREADY_PAID: 'SERVICE_REFUND_ALREADY_PAID',
  /** Another refund call for this token is paying right now. */
  REFUND_IN_PROGRESS: 'SERVICE_REFUND_IN_PROGRESS',
  /** The refund payment failed; nothing was paid, try again (perhaps with a new invoice). */
  REFUND_FAILED: 'SERVICE_REFUND_FAILED',
  /** The refund payment's outcome is unknown; it is not retried automatically. */
  REFUND_UNCERTAIN: 'SERVICE_REFUND_UNCERTAIN',
  /** No such file. */
  FILE_NOT_FOUND: 'SERVICE_FILE_NOT_FOUND',
  /** The file existed and has expired. */
  FILE_EXPIRED: 'SERVICE_FILE_EXPIRED',
  /** The range asked for lies outside the file. */
  RANGE_NOT_SATISFIABLE: 'SERVICE_RANGE_NOT_SATISFIABLE',
  /** No such page or endpoint. */
  NOT_FOUND: 'SERVICE_NOT_FOUND',
} as const;

export type ServiceCode = (typeof ServiceCodes)[keyof typeof ServiceCodes];
