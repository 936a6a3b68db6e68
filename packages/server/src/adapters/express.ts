/**
 * The Express 5 adapter: a middleware that puts the paywall in front of the routes after
 * it. It goes through the shared Node bridge (`toRequest`/`writeResponse`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { VerifiedToken } from '@farebox/core';
import type { RequestHandler } from 'express';
import { corsHeaders } from '../cors.js';
import type { Paywall } from '../engine.js';
import type { Decision, Receipt } from '../types.js';
import { toRequest, writeResponse } from './node.js';

/** What `req.l402` holds in a route behind {@link l402}. */
export interface L402Info {
  /** Present when the request was paid. */
  receipt?: Receipt;
  token?: VerifiedToken;
  /** True when served by the route's free tier (`freePerDay`). */
  free?: boolean;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by farebox's `l402()` middleware. */
      l402?: L402Info;
    }
  }
}

/**
 * The request as the paywall sees it. When a body parser ran first (`req.body` is set, the
 * stream is spent), its result stands in for the body: JSON binds the same either way,
 * since the paywall hashes JSON bodies as canonical JSON.
 */
function webRequest(req: IncomingMessage & { body?: unknown }): Request {
  if (req.body === undefined) return toRequest(req);
  // The stream is spent: let the bridge convert URL and headers only (a HEAD view of req).
  const head = toRequest(Object.assign(Object.create(req) as IncomingMessage, { method: 'HEAD' }));
  const b = req.body;
  const body = typeof b === 'string' || b instanceof Uint8Array ? (b as BodyInit) : JSON.stringify(b);
  return new Request(head.url, { method: req.method ?? 'POST', headers: head.headers, body });
}

/** The body for `req.body`: parsed JSON for JSON content types, else a `Buffer`; none when empty. */
async function bodyOf(r: Request): Promise<unknown> {
  if (!r.body) return undefined;
  const bytes = Buffer.from(await r.arrayBuffer());
  if (bytes.length === 0) return undefined;
  if ((r.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      // Not JSON after all: hand over the bytes.
    }
  }
  return bytes;
}

/**
 * Express middleware: answers 402/401/… itself, or calls `next()` with `req.l402` set.
 *
 * The paywall reads the body to bind a token to it, so this middleware hands it on as
 * `req.body` (parsed JSON for JSON content types, a `Buffer` otherwise): put it **before**
 * `express.json()`, which then finds the body read and leaves `req.body` alone. Mount it on
 * the priced paths (`app.use('/api', l402(paywall))`): every body it sees is read into
 * memory. The use is settled when the response ends: a status below 500 consumes it; a 5xx,
 * an error passed to `next(err)`, or a connection closed before the end releases it.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { l402 } from '@farebox/server/express';
 * const app = express();
 * app.use('/api', l402(paywall));
 * app.post('/api/music', (req, res) => res.json({ prompt: req.body.prompt, paid: req.l402?.receipt?.amountMsat.toString() }));
 * ```
 */
export function l402(paywall: Paywall): RequestHandler {
  return async (req, res, next) => {
    const request = webRequest(req);
    let d: Decision;
    try {
      d = await paywall.decide(request, { ip: req.socket.remoteAddress });
    } catch (e) {
      return next(e);
    }
    if (d.type === 'respond') return writeResponse(res, d.response);
    // The answer is out by then: a store that fails now leaves the reservation to expire.
    const settle = (status: number) => void d.settle(status).catch(() => {});
    res.once('finish', () => settle(res.statusCode));
    res.once('close', () => res.writableFinished || settle(500));
    try {
      if (req.body === undefined) req.body = await bodyOf(d.request);
    } catch (e) {
      return next(e);
    }
    req.l402 = d.type === 'paid' ? { receipt: d.receipt, token: d.token } : { free: d.free ?? false };
    for (const [k, v] of Object.entries(corsHeaders(paywall.options.cors, request) ?? {}))
      res.setHeader(k, v);
    next();
  };
}
