/**
 * A pay-per-request API on Cloudflare Workers: the service of the "L402 on Workers" tutorial,
 * with payments that cannot be replayed.
 *
 * - `GET /`: what the service is, its usage and price.
 * - `POST /` `{"prompt": "…"}`: `402` with an LNbits invoice and an L402 challenge
 *   (`WWW-Authenticate`, and `payment_request`/`payment_hash`/`macaroon` in the JSON body),
 *   or `200 {"result": …}` once paid; `400` without a prompt (nothing is charged); `503` when
 *   LNbits cannot be reached.
 * - Proof of payment: `Authorization: L402 <macaroon>:<preimage>` (checked offline, bound to
 *   the request, one use), or the tutorial's simple forms, `payment_hash` in the JSON body or
 *   `Authorization: L402 <payment_hash>` (checked with LNbits, bound to the request it was
 *   issued for, served once).
 * - One free answer per client network per day (KV), uses counted in a Durable Object, CORS.
 *
 * @module
 */
import { ErrorCodes } from '@farebox/core';
import { jsonResponse, Paywall, type RouteConfig, refusal } from '@farebox/server';
import { paywallFetch } from '@farebox/server/fetch';
import { answerFor } from './answer.js';
import { ConfigError, type Env, readConfig } from './config.js';
import { DurableObjectStore } from './durable-store.js';
import { KvFreeTier } from './kv-free-tier.js';
import { invoiceKeyLnbits } from './lnbits.js';

export type { Env } from './config.js';
export { UsageCounter } from './usage-counter.js';

type Handler = (req: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

const USAGE = 'POST with {"prompt": "your question"}';

function promptOf(body: unknown): string | undefined {
  const p = body && typeof body === 'object' ? (body as { prompt?: unknown }).prompt : undefined;
  return typeof p === 'string' && p.trim() !== '' ? p : undefined;
}

/**
 * Builds the Worker's handler from its bindings (once per isolate).
 *
 * @example
 * ```ts
 * const handle = createApp(env);
 * const res = await handle(new Request('https://api.example/', { method: 'GET' }), env, ctx);
 * ```
 */
export function createApp(env: Env): Handler {
  const cfg = readConfig(env);
  const answer = answerFor(cfg);
  const route: RouteConfig = {
    method: 'POST',
    path: '/',
    service: 'answer',
    price: cfg.priceSats,
    description: `${cfg.serviceName}: one answer`,
    freePerDay: cfg.freePerDay,
    // Checked before any invoice is made: a request without a prompt is never charged.
    validate: (body) =>
      promptOf(body) === undefined
        ? { prompt: 'required: send JSON {"prompt": "…"} with Content-Type: application/json' }
        : undefined,
    requestSchema: {
      type: 'object',
      required: ['prompt'],
      properties: { prompt: { type: 'string', minLength: 1 } },
    },
  };
  const paywall = new Paywall({
    secret: cfg.secret,
    lightning: invoiceKeyLnbits({ url: cfg.lnbitsUrl, key: cfg.lnbitsKey }),
    store: new KvFreeTier(new DurableObjectStore(env.USAGE), { kv: env.FREE_KV, secret: cfg.secret }),
    routes: [route],
    acceptPaymentHash: true,
    ipBuckets: cfg.freeBuckets,
    cors: cfg.cors,
    discovery: { title: cfg.serviceName },
  });
  const description = {
    service: cfg.serviceName,
    usage: USAGE,
    price: `${cfg.priceSats} sats per request`,
    price_sats: cfg.priceSats,
    free_per_day: cfg.freePerDay,
    payment:
      'An unpaid POST answers 402 with a Lightning invoice. Pay it, then repeat the identical request with ' +
      '"Authorization: L402 <macaroon>:<preimage>", or with "payment_hash" added to the JSON body.',
  };
  return paywallFetch<Env, ExecutionContext>(
    paywall,
    async (req, info) => {
      if (new URL(req.url).pathname !== '/') return refusal(404, 'NOT_FOUND', `nothing here; ${USAGE} to /`);
      if (req.method === 'GET' || req.method === 'HEAD') return jsonResponse(200, description);
      if (req.method !== 'POST') {
        return refusal(405, 'METHOD_NOT_ALLOWED', USAGE, { headers: { allow: 'GET, POST, OPTIONS' } });
      }
      const prompt = promptOf(await req.json());
      let result: unknown;
      try {
        result = await answer(prompt!, info.env);
      } catch (e) {
        console.error('farebox: the answer failed:', e);
        // 5xx: the paywall gives the use back, so the same credential works on a retry.
        return refusal(502, 'ANSWER_FAILED', 'the answer could not be made; retry with the same credential');
      }
      return jsonResponse(200, info.free ? { result, free: true } : { result });
    },
    // Set by Cloudflare's edge; a client cannot forge it there.
    { ipHeader: 'cf-connecting-ip' },
  ) as Handler;
}

const apps = new WeakMap<Env, Handler>();

export default {
  async fetch(req, env, ctx): Promise<Response> {
    let app = apps.get(env);
    if (!app) {
      try {
        app = createApp(env);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        console.error(`farebox: ${e.message}`);
        return refusal(500, ErrorCodes.CONFIG_INVALID, `the service is misconfigured (${e.setting})`);
      }
      apps.set(env, app);
    }
    return app(req, env, ctx);
  },
} satisfies ExportedHandler<Env>;
