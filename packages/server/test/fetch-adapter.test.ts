import type { AddressInfo } from 'node:net';
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import { serve } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { paywallFetch } from '../src/adapters/fetch.js';
import { Paywall } from '../src/index.js';
import { conformance, type Start } from './conformance.js';

/** Served the way a Worker/Deno/Bun handler is: one `fetch` function, here on Node by @hono/node-server. */
const start: Start = (opts, handler) =>
  new Promise((resolve) => {
    const fetch = paywallFetch(new Paywall(opts), (req, info) =>
      handler(req, info.receipt ? { receipt: info.receipt } : {}),
    );
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });

conformance('fetch adapter', start);

describe('fetch adapter: env, ctx and client IP', () => {
  const node = new DevNode({ production: false });
  afterAll(() => node.close());
  const paywall = () =>
    new Paywall({
      secret: new Uint8Array(32).fill(9),
      lightning: node,
      routes: [
        { method: 'GET', path: '/free-once', price: 1, freePerDay: 1 },
        { method: 'GET', path: '/paid', price: 1 },
      ],
    });

  it("passes the runtime's env and ctx to the handler", async () => {
    const handler = paywallFetch<{ GREETING: string }, { waitUntil(p: Promise<unknown>): void }>(
      paywall(),
      (_req, { env, ctx, free }) =>
        Response.json({ greeting: env.GREETING, ctx: typeof ctx.waitUntil, free }),
    );
    const r = await handler(new Request('http://x/free-once'), { GREETING: 'hi' }, { waitUntil: () => {} });
    expect(await r.json()).toEqual({ greeting: 'hi', ctx: 'function', free: true });
  });

  it('ignores IP headers unless told which one to trust', async () => {
    const ok = async () => Response.json({ ok: true });
    const req = (ip: string) => new Request('http://x/free-once', { headers: { 'cf-connecting-ip': ip } });
    const untrusted = paywallFetch(paywall(), ok);
    expect((await untrusted(req('1.1.1.1'))).status).toBe(200);
    expect((await untrusted(req('2.2.2.2'))).status).toBe(402); // one shared bucket: the header is ignored
    const trusted = paywallFetch(paywall(), ok, { ipHeader: 'CF-Connecting-IP' });
    expect((await trusted(req('1.1.1.1'))).status).toBe(200);
    expect((await trusted(req('2.2.2.2'))).status).toBe(200); // another /24: its own free call
    expect((await trusted(req('2.2.2.9'))).status).toBe(402);
  });

  it('a throwing handler releases the use and the error reaches the runtime', async () => {
    let fail = true;
    const handler = paywallFetch(paywall(), () => {
      if (fail) throw new Error('handler broke');
      return new Response('ok');
    });
    const [c] = parseChallenges(
      (await handler(new Request('http://x/paid'))).headers.get('www-authenticate')!,
    );
    const auth = buildCredential({
      macaroon: c!.macaroon,
      preimage: (await node.payInvoice(c!.invoice)).preimage,
    });
    const paid = () => handler(new Request('http://x/paid', { headers: { authorization: auth } }));
    await expect(paid()).rejects.toThrow('handler broke');
    fail = false;
    expect((await paid()).status).toBe(200);
    expect((await paid()).status).toBe(402);
  });
});
