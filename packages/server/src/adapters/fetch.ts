/**
 * The fetch adapter: a `(Request, env, ctx) => Response` handler behind the paywall, for
 * runtimes that speak Web Standards natively (Cloudflare Workers, Deno, Bun, Vercel Edge).
 * Web Standards only: no `node:` import.
 *
 * @module
 */
import type { VerifiedToken } from '@farebox/core';
import type { Paywall } from '../engine.js';
import type { Receipt } from '../types.js';

/** What the handler learns about the payment, plus the runtime's own `env` and `ctx`. */
export interface FetchInfo<Env = unknown, Ctx = unknown> {
  /** Present when the request was paid. */
  receipt?: Receipt;
  token?: VerifiedToken;
  /** True when served by the route's free tier (`freePerDay`). */
  free?: boolean;
  /** The runtime's second argument (Workers: bindings). */
  env: Env;
  /** The runtime's third argument (Workers: `ExecutionContext`). */
  ctx: Ctx;
}

/** Options for {@link paywallFetch}. */
export interface PaywallFetchOptions {
  /**
   * A request header that carries the client IP, set by the platform in front of you and
   * impossible for clients to forge there, e.g. `cf-connecting-ip` on Cloudflare. Off by
   * default: the runtimes give no socket address to a fetch handler, and a header a client
   * can set itself must not decide free tiers or rate limits.
   */
  ipHeader?: string;
}

/**
 * Wraps a fetch handler with the paywall. The handler runs only for paid or free
 * requests, with the request body re-readable. A handler that throws releases the
 * reserved use and the error propagates to the runtime (which answers 500).
 *
 * @example
 * ```ts
 * import { Paywall } from '@farebox/server';
 * import { paywallFetch } from '@farebox/server/fetch';
 * import { DevNode } from '@farebox/lightning';
 * const paywall = new Paywall({
 *   secret: crypto.getRandomValues(new Uint8Array(32)),
 *   lightning: new DevNode(),
 *   routes: [{ method: 'GET', path: '/joke', price: 21 }],
 * });
 * export default {
 *   fetch: paywallFetch(paywall, () => Response.json({ joke: '…' }), { ipHeader: 'cf-connecting-ip' }),
 * };
 * ```
 */
export function paywallFetch<Env = unknown, Ctx = unknown>(
  paywall: Paywall,
  handler: (req: Request, info: FetchInfo<Env, Ctx>) => Response | Promise<Response>,
  opts: PaywallFetchOptions = {},
): (req: Request, env?: Env, ctx?: Ctx) => Promise<Response> {
  const header = opts.ipHeader?.toLowerCase();
  return (req, env, ctx) => {
    const ip = header ? req.headers.get(header)?.split(',')[0]?.trim() : undefined;
    return paywall.handle(
      req,
      (r, info) => handler(r, { ...info, env: env as Env, ctx: ctx as Ctx }),
      ip ? { ip } : {},
    );
  };
}
