/**
 * Protocol answers become HTTP responses here, and only here.
 *
 * @module
 */
import { buildChallenges } from '@farebox/core';

/** A fresh challenge, as sent in 401/402 answers. */
export interface Challenge {
  macaroon: string;
  invoice: string;
  paymentHash: string;
  amountMsat: bigint;
  expiresAt: number;
  description: string;
}

const NO_STORE = { 'cache-control': 'no-store' };

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(
    JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
    },
  );
}

/** The JSON body of a challenge: what simple clients and agents read. */
export function challengeBody(code: string, message: string, c: Challenge): Record<string, unknown> {
  const sats = Number(c.amountMsat) / 1000;
  return {
    error: { code, message },
    price_sats: sats,
    price_msat: c.amountMsat.toString(),
    invoice: c.invoice,
    payment_request: c.invoice,
    payment_hash: c.paymentHash,
    macaroon: c.macaroon,
    expires_at: new Date(c.expiresAt * 1000).toISOString(),
    description: c.description,
    instructions:
      'Pay the invoice with a Lightning wallet, then send the identical request again with the header ' +
      '"Authorization: L402 <macaroon>:<preimage>" (preimage in hex).',
  };
}

/** 402 (or 401 with a fresh challenge): WWW-Authenticate L402 first, LSAT after, JSON body. */
export function challengeResponse(
  status: 401 | 402,
  code: string,
  message: string,
  c: Challenge,
  extra: Record<string, string> = {},
): Response {
  const res = jsonResponse(status, challengeBody(code, message, c), extra);
  for (const v of buildChallenges({ macaroon: c.macaroon, invoice: c.invoice }))
    res.headers.append('www-authenticate', v);
  return res;
}

const codes = new WeakMap<Response, string>();

/** The error code a refusal was built with (for events and metrics). */
export function refusalCode(res: Response): string | undefined {
  return codes.get(res);
}

/** A refusal without a challenge (400, 409, 413, 429, 503). */
export function refusal(
  status: number,
  code: string,
  message: string,
  extra: { headers?: Record<string, string>; data?: Record<string, unknown> } = {},
): Response {
  const error: Record<string, unknown> = { code, message };
  if (extra.data) error.data = extra.data;
  const res = jsonResponse(status, { error }, extra.headers);
  codes.set(res, code);
  return res;
}
