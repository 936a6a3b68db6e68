/**
 * The one way BOLT11 code refuses input: a `FareboxError` with code `BOLT11_INVALID`.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '../errors.js';

/**
 * Throws `BOLT11_INVALID` with a message saying what is wrong (never the whole invoice, which
 * can be 7 kB long and is the caller's to log).
 */
export function invalidInvoice(message: string, data?: Record<string, unknown>, cause?: unknown): never {
  throw new FareboxError(ErrorCodes.INVALID_INVOICE, `invalid BOLT11 invoice: ${message}`, {
    ...(data === undefined ? {} : { data }),
    ...(cause === undefined ? {} : { cause }),
  });
}
