/**
 * The Next.js adapter: wraps an App Router route handler (`app/**\/route.ts`). Route
 * handlers speak Web Standards already, so this is {@link Paywall.handle} with Next's
 * second argument (`{ params }`) passed along. No `node:` import: it runs on the Node.js
 * and the Edge runtimes.
 *
 * @module
 */
import type { VerifiedToken } from '@farebox/core';
import type { Paywall } from '../engine.js';
import type { Receipt } from '../types.js';

/** What the wrapped handler learns about the payment, plus Next's route context. */
export interface NextL402Info<C> {
  /** Present when the request was paid. */
  receipt?: Receipt;
  token?: VerifiedToken;
  /** True when served by the route's free tier (`freePerDay`). */
  free?: boolean;
  /** Next's second argument to route handlers, e.g. `{ params: Promise<{ id: string }> }`. */
  context: C;
}

/** Options for {@link withL402}. */
export interface WithL402Options {
  /**
   * A request header your platform sets to the client IP and clients cannot forge there
   * (e.g. `x-real-ip` behind your own proxy). Off by default; or set the paywall's
   * `trustProxy` to use `X-Forwarded-For` (Vercel sets it).
   */
  ipHeader?: string;
}

/**
 * Wraps a Next.js route handler with the paywall. The handler gets a standard `Request`
 * (body re-readable) and runs only for paid or free requests; export the result as the
 * route's `GET`/`POST`/….
 *
 * @example
 * ```ts
 * // app/api/music/route.ts
 * import { withL402 } from '@farebox/server/next';
 * import { paywall } from '@/lib/paywall';
 * export const POST = withL402(paywall, async (req, { receipt }) => {
 *   const { prompt } = await req.json();
 *   return Response.json({ prompt, paid: receipt?.amountMsat.toString() });
 * });
 * ```
 */
export function withL402<C = unknown>(
  paywall: Paywall,
  handler: (req: Request, info: NextL402Info<C>) => Response | Promise<Response>,
  opts: WithL402Options = {},
): (req: Request, context: C) => Promise<Response> {
  const header = opts.ipHeader?.toLowerCase();
  return (req, context) => {
    const ip = header ? req.headers.get(header)?.split(',')[0]?.trim() : undefined;
    return paywall.handle(req, (r, info) => handler(r, { ...info, context }), ip ? { ip } : {});
  };
}
