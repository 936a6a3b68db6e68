/**
 * The Fastify 5 adapter: a plugin that puts the paywall in front of the routes of the
 * scope it is registered in. It goes through the shared Node bridge (`toRequest`).
 *
 * @module
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { VerifiedToken } from '@farebox/core';
import type { FastifyPluginCallback } from 'fastify';
import { corsHeaders } from '../cors.js';
import type { Paywall } from '../engine.js';
import type { Receipt } from '../types.js';
import { toRequest } from './node.js';

/** What `request.l402` holds in a route behind {@link l402}. */
export interface L402Info {
  /** Present when the request was paid. */
  receipt?: Receipt;
  token?: VerifiedToken;
  /** True when served by the route's free tier (`freePerDay`). */
  free?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by farebox's `l402()` plugin. */
    l402?: L402Info;
  }
}

/**
 * Fastify plugin: answers 402/401/… itself, or lets the route run with `request.l402` set.
 *
 * It decides in the `preParsing` hook, before Fastify reads the body: the paywall reads
 * the body to bind a token to it, and the hook hands Fastify the same bytes as the new
 * payload, so Fastify's own content-type parsers, `bodyLimit` and schemas work as usual.
 * The plugin applies to the scope it is registered in (register it inside a prefixed
 * plugin to price only those routes). The use is settled when the response ends: a status
 * below 500 consumes it; a 5xx, a thrown error, or a connection closed before the end
 * releases it.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { l402 } from '@farebox/server/fastify';
 * const app = Fastify();
 * await app.register(l402(paywall));
 * app.post('/api/music', async (request) => ({ body: request.body, paid: request.l402?.receipt?.amountMsat.toString() }));
 * ```
 */
export function l402(paywall: Paywall): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (app, _opts, done) => {
    if (!app.hasRequestDecorator('l402')) app.decorateRequest('l402', undefined);
    app.addHook('preParsing', (request, reply, payload, next) => {
      const req = toRequest(request.raw);
      paywall.decide(req, { ip: request.raw.socket.remoteAddress }).then((d) => {
        if (d.type === 'respond') return void reply.send(d.response);
        // The answer is out by then: a store that fails now leaves the reservation to expire.
        const res = reply.raw;
        const settle = (status: number) => void d.settle(status).catch(() => {});
        res.once('finish', () => settle(res.statusCode));
        res.once('close', () => res.writableFinished || settle(500));
        request.l402 = d.type === 'paid' ? { receipt: d.receipt, token: d.token } : { free: d.free ?? false };
        reply.headers(corsHeaders(paywall.options.cors, req) ?? {});
        const body = d.request.body as NodeReadableStream | null;
        next(null, body ? Readable.fromWeb(body) : payload);
      }, next);
    });
    done();
  };
  // Like fastify-plugin: the hook applies to the scope that registers the plugin, not only inside it.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'l402',
  });
  return plugin;
}
