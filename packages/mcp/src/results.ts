/**
 * Shaping what the tools answer: errors as `{ code, message, data }`, payments and approvals
 * without secrets, and the request an agent described turned into a `Request`.
 *
 * @module
 */
import type { PaymentReceipt, Quote } from '@farebox/client';
import { ErrorCodes, FareboxError } from '@farebox/core';
import type { FetchOutput, QuoteInput } from './schemas.js';

/** Millisatoshis to sats. */
export const sats = (msat: string | bigint) => Number(msat) / 1000;

/** An error as a tool reports it (FareboxError codes kept; network failures named). */
export function errorOf(
  e: unknown,
  host?: string,
): { code: string; message: string; data?: Record<string, unknown> } {
  if (e instanceof FareboxError) return e.toJSON();
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (e instanceof TypeError && /fetch failed/.test(e.message)) {
    return {
      code: 'FETCH_FAILED',
      message: `could not reach ${host ?? 'the server'}: ${cause?.code ?? cause?.message ?? e.message}`,
    };
  }
  if ((e as Error)?.name === 'TimeoutError') return { code: 'TIMEOUT', message: 'the request timed out' };
  return { code: 'ERROR', message: (e as Error)?.message ?? String(e) };
}

/** Codes that mean refused by a rule, rather than something broke. */
export const REFUSALS = new Set<string>([
  ErrorCodes.BUDGET_EXCEEDED,
  ErrorCodes.HOST_NOT_ALLOWED,
  ErrorCodes.APPROVAL_DENIED,
  ErrorCodes.INVALID_CHALLENGE,
]);

/** A receipt as a tool shows it: no preimage, no token. */
export function paymentOf(r: PaymentReceipt) {
  return {
    sats: sats(r.amountMsat),
    fee_sats: sats(r.feeMsat),
    payment_hash: r.paymentHash,
    host: r.host,
    method: r.method,
    path: r.path,
  };
}

/** What needs approving. */
export function approvalOf(q: Quote) {
  const a: NonNullable<FetchOutput['approval']> = {
    amount_sats: q.amountSats,
    host: q.host,
    method: q.method,
    url: q.url,
    network: q.network,
    payment_hash: q.paymentHash,
  };
  if (q.description) a.description = q.description;
  return a;
}

/** The request an agent described (URL checked, a JSON body encoded). */
export function buildRequest(input: QuoteInput): { url: URL; init: RequestInit } {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"url" must be an absolute http(s) URL', {
      data: { parameter: 'url' },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"url" must be http or https', {
      data: { parameter: 'url' },
    });
  }
  const headers = new Headers(input.headers ?? {});
  let body: string | undefined;
  if (input.body !== undefined) {
    if (typeof input.body === 'string') body = input.body;
    else {
      body = JSON.stringify(input.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }
  const method = input.method ?? (body !== undefined ? 'POST' : 'GET');
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, `"body" cannot be sent with ${method}`, {
      data: { parameter: 'body' },
    });
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  return { url, init };
}
