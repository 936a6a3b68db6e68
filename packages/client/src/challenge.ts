/**
 * Reading what a 402 (or 401) answer asks for, in every form seen in the wild:
 * `WWW-Authenticate` L402/LSAT challenges (`macaroon=` or `token=`, several of them), the
 * token-less `L402 invoice="…", payment_hash="…"` of simple servers, and the JSON body
 * (`payment_request`/`invoice`, `payment_hash`, `macaroon`, `price_sats`).
 *
 * @module
 */
import { isHex, parseAuthHeader, parseChallenges, selectChallenge } from '@farebox/core';

/** What to pay and how to prove it. */
export type PaymentChallenge =
  | {
      kind: 'token';
      scheme: string;
      macaroon: string;
      invoice: string;
      /** The price the server advertised (JSON body), msat, to check the invoice against. */
      advertisedMsat?: bigint;
    }
  | {
      kind: 'payment-hash';
      scheme: string;
      invoice: string;
      paymentHash: string;
      advertisedMsat?: bigint;
    };

const MAX_BODY = 64 * 1024;

async function jsonBody(res: Response): Promise<Record<string, unknown> | undefined> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined;
  try {
    const text = await res.clone().text();
    if (text.length > MAX_BODY) return undefined;
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function advertised(body: Record<string, unknown> | undefined): bigint | undefined {
  if (!body) return undefined;
  if (typeof body.price_msat === 'string' && /^\d+$/.test(body.price_msat)) return BigInt(body.price_msat);
  if (typeof body.price_msat === 'number' && Number.isInteger(body.price_msat))
    return BigInt(body.price_msat);
  if (typeof body.price_sats === 'number' && Number.isFinite(body.price_sats))
    return BigInt(Math.round(body.price_sats * 1000));
  return undefined;
}

/**
 * Extracts the payment challenge of a response, or undefined when there is none.
 *
 * @example
 * ```ts
 * import { readChallenge } from '@farebox/client';
 * const ch = await readChallenge(await fetch(url)); // { kind: 'token', macaroon, invoice, … }
 * ```
 */
export async function readChallenge(res: Response): Promise<PaymentChallenge | undefined> {
  const header = res.headers.get('www-authenticate') ?? '';
  const body = await jsonBody(res);
  const adv = advertised(body);
  const withAdv = (c: PaymentChallenge): PaymentChallenge =>
    adv === undefined ? c : { ...c, advertisedMsat: adv };
  let tokens: ReturnType<typeof parseChallenges> = [];
  try {
    tokens = header ? parseChallenges(header) : [];
  } catch {
    tokens = [];
  }
  const chosen = selectChallenge(tokens);
  if (chosen)
    return withAdv({
      kind: 'token',
      scheme: chosen.scheme,
      macaroon: chosen.macaroon,
      invoice: chosen.invoice,
    });
  // A token-less header: `L402 invoice="…", payment_hash="…"`.
  try {
    for (const item of header ? parseAuthHeader(header) : []) {
      const s = item.scheme.toLowerCase();
      if (
        (s === 'l402' || s === 'lsat') &&
        item.params.invoice &&
        item.params.payment_hash &&
        isHex(item.params.payment_hash, 32)
      ) {
        return withAdv({
          kind: 'payment-hash',
          scheme: item.scheme,
          invoice: item.params.invoice,
          paymentHash: item.params.payment_hash.toLowerCase(),
        });
      }
    }
  } catch {
    // fall through to the body
  }
  if (body) {
    const invoice = [body.payment_request, body.invoice, body.pr].find((v) => typeof v === 'string') as
      | string
      | undefined;
    const mac = [body.macaroon, body.token].find((v) => typeof v === 'string') as string | undefined;
    if (invoice && mac) return withAdv({ kind: 'token', scheme: 'L402', macaroon: mac, invoice });
    const hash = body.payment_hash;
    if (invoice && typeof hash === 'string' && isHex(hash, 32)) {
      return withAdv({ kind: 'payment-hash', scheme: 'L402', invoice, paymentHash: hash.toLowerCase() });
    }
  }
  return undefined;
}
