/**
 * The Hono adapter: a middleware that puts the paywall in front of the routes after it.
 * Web Standards only (no `node:` import), so it runs on every runtime Hono runs on.
 *
 * @module
 */
import type { VerifiedToken } from '@farebox/core';
import type { Context, MiddlewareHandler } from 'hono';
import { corsHeaders } from '../cors.js';
import type { Paywall } from '../engine.js';
import type { Receipt } from '../types.js';

/** What `c.get('l402')` holds in a handler behind {@link l402}. */
export interface L402Info {
  /** Present when the request was paid. */
  receipt?: Receipt;
  token?: VerifiedToken;
  /** True when served by the route's free tier (`freePerDay`). */
  free?: boolean;
}

/** The context variables {@link l402} sets. */
export type L402Env = { Variables: { l402: L402Info } };

/** Options for {@link l402}. */
export interface HonoL402Options {
  /**
   * The client IP, for free tiers and per-IP rate limits, e.g. with Hono's `getConnInfo`
   * for your runtime: `(c) => getConnInfo(c).remote.address`. Without it every client
   * shares one bucket.
   */
  ip?: (c: Context) => string | undefined;
}

/**
 * Hono middleware: answers 402/401/… itself, or runs the next handlers with the request
 * body re-readable (`c.req.json()` works) and the payment in `c.get('l402')`. Handlers
 * answering 5xx or throwing release the reserved use; anything else consumes it.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { getConnInfo } from '@hono/node-server/conninfo';
 * import { l402, type L402Env } from '@farebox/server/hono';
 * const app = new Hono<L402Env>();
 * app.use(l402(paywall, { ip: (c) => getConnInfo(c).remote.address }));
 * app.get('/joke', (c) => c.json({ joke: '…', paid: c.get('l402').receipt?.amountMsat.toString() }));
 * ```
 */
export function l402(paywall: Paywall, opts: HonoL402Options = {}): MiddlewareHandler<L402Env> {
  return async (c, next) => {
    const req = c.req.raw;
    const ip = opts.ip?.(c);
    const d = await paywall.decide(req, ip ? { ip } : {});
    if (d.type === 'respond') return d.response;
    // The paywall read the body to bind the token; hand Hono the re-readable copy.
    c.req.raw = d.request;
    c.set('l402', d.type === 'paid' ? { receipt: d.receipt, token: d.token } : { free: d.free ?? false });
    try {
      await next();
    } catch (e) {
      await d.settle(500);
      throw e;
    }
    // Hono turns handler errors into `c.error` + a 500 response, so the status says it all.
    await d.settle(c.error ? 500 : c.res.status);
    for (const [k, v] of Object.entries(corsHeaders(paywall.options.cors, req) ?? {})) c.header(k, v);
  };
}
