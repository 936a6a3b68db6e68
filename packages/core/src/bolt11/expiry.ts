/**
 * Invoice expiry (BOLT #11 "Payer / Payee Requirements": after `timestamp + expiry` a payer
 * SHOULD NOT pay and a payee SHOULD NOT accept).
 *
 * @module
 */
import { invalidArgument } from '../errors.js';
import type { DecodedInvoice } from './types.js';

/**
 * True once `nowSeconds` has reached the invoice's `expiresAt` (`timestamp + expirySeconds`).
 * The clock is a parameter so callers (and tests) decide what "now" is.
 *
 * @example
 * ```ts
 * import { decodeInvoice, invoiceIsExpired } from '@farebox/core/bolt11';
 * declare const paymentRequest: string;
 * const inv = decodeInvoice(paymentRequest);
 * if (invoiceIsExpired(inv, Math.floor(Date.now() / 1000))) console.log('ask for a new invoice');
 * ```
 */
export function invoiceIsExpired(invoice: Pick<DecodedInvoice, 'expiresAt'>, nowSeconds: number): boolean {
  if (typeof invoice !== 'object' || invoice === null || typeof invoice.expiresAt !== 'number') {
    invalidArgument('invoice', 'a decoded invoice');
  }
  if (typeof nowSeconds !== 'number' || !Number.isFinite(nowSeconds)) {
    invalidArgument('nowSeconds', 'a finite number of unix seconds');
  }
  return nowSeconds >= invoice.expiresAt;
}
