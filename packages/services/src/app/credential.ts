/**
 * The credential of a job: the same `Authorization: L402 <macaroon>:<preimage>` that paid for
 * it. Used where the paywall is not asked (repeats of a paid request, job polls, refund
 * claims): the token is verified offline exactly as the paywall does (HMAC chain,
 * `sha256(preimage)` = payment hash, service, expiry) and against the request binding the
 * paywall accepted when the job started.
 *
 * @module
 */
import {
  canonicalJson,
  decodeIdentifier,
  ErrorCodes,
  FareboxError,
  type L402Credential,
  parseCredential,
  requestBinding,
  sha256,
  toHex,
  utf8,
  type VerifiedToken,
  verifyToken,
} from '@farebox/core';
import type { Paywall } from '@farebox/server';
import type { JobRecord } from './jobs.js';

/** A parsed token credential. */
export type TokenCredential = Extract<L402Credential, { kind: 'token' }>;

/**
 * The token credential of a request and its token id, or undefined (no credential, another
 * scheme, a bare payment hash, or a malformed one: the paywall answers those).
 */
export function tokenOf(req: Request): { cred: TokenCredential; tokenId: string } | undefined {
  const auth = req.headers.get('authorization');
  if (!auth) return undefined;
  try {
    const cred = parseCredential(auth);
    if (cred?.kind !== 'token') return undefined;
    const tokenId = toHex(decodeIdentifier(cred.macaroons[0]!.identifier).tokenId);
    return { cred, tokenId };
  } catch {
    return undefined;
  }
}

/**
 * The binding of a JSON request, as the paywall computes it for routes with `bindJson`
 * (`@farebox/core` `requestBinding` over canonical JSON): reformatting the body keeps it,
 * any changed value changes it.
 *
 * @example
 * ```ts
 * import { jsonRequestBinding } from '@farebox/services';
 * const a = jsonRequestBinding('POST', new URL('http://x/api/l402/music'), { b: 1, a: 2 });
 * const b = jsonRequestBinding('POST', new URL('http://x/api/l402/music'), { a: 2, b: 1 }); // a === b
 * ```
 */
export function jsonRequestBinding(method: string, url: URL, body: unknown): string {
  return requestBinding({
    method,
    path: url.pathname,
    query: url.search,
    bodyHash: sha256(utf8(canonicalJson(body))),
  });
}

/**
 * Verifies a credential for a job; `binding` is the request's own (repeats) or the job's
 * (polls, refunds). Throws FareboxError: L402_BAD_SIGNATURE, L402_WRONG_PREIMAGE,
 * L402_EXPIRED, L402_WRONG_SERVICE, L402_REQUEST_MISMATCH, L402_REVOKED, …
 */
export async function verifyForJob(opts: {
  paywall: Paywall;
  job: JobRecord;
  cred: TokenCredential;
  binding: string;
  now: number;
}): Promise<VerifiedToken> {
  const { paywall, job, cred } = opts;
  const token = verifyToken({
    keyring: paywall.keyring,
    macaroon: cred.macaroons[0]!,
    preimage: cred.preimage,
    context: { service: job.service, now: Math.floor(opts.now / 1000), requestHash: opts.binding },
    // The paywall's own caveat: the amount paid, informational.
    satisfiers: [{ condition: 'farebox_amount_msat', final: (c) => /^\d{1,18}$/.test(c.value) }],
  });
  if (token.tokenId !== job.id) throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'token is not this job’s');
  if (await paywall.store.isRevoked(token.tokenId))
    throw new FareboxError(ErrorCodes.REVOKED, 'token was revoked');
  return token;
}
