import type { AddressInfo } from 'node:net';
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterAll, describe, expect, it } from 'vitest';
import { type L402Env, l402 } from '../src/adapters/hono.js';
import { Paywall, type PaywallOptions } from '../src/index.js';
import { conformance, type Start } from './conformance.js';

function listen(app: Hono<L402Env>): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
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
}

const start: Start = async (opts, handler) => {
  const app = new Hono<L402Env>();
  app.use(l402(new Paywall(opts), { ip: (c) => getConnInfo(c).remote.address }));
  app.all('*', (c) => {
    const receipt = c.get('l402').receipt;
    return handler(c.req.raw, receipt ? { receipt } : {});
  });
  return listen(app);
};

conformance('hono adapter', start);

describe('hono adapter: body, context and settling', () => {
  const node = new DevNode({ production: false });
  afterAll(() => node.close());
  const options = (): PaywallOptions => ({
    secret: new Uint8Array(32).fill(9),
    lightning: node,
    routes: [
      { method: 'POST', path: '/echo', price: 3 },
      { method: 'GET', path: '/boom', price: 1 },
      { method: 'GET', path: '/nope', price: 1 },
    ],
    cors: true,
  });
  async function pay(res: Response): Promise<string> {
    const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
    return buildCredential({ macaroon: c!.macaroon, preimage: (await node.payInvoice(c!.invoice)).preimage });
  }

  it('c.req.json() reads the paid body; c.get("l402") has the receipt; CORS headers on the answer', async () => {
    const app = new Hono<L402Env>();
    app.use(l402(new Paywall(options())));
    app.post('/echo', async (c) =>
      c.json({ body: await c.req.json(), paid: c.get('l402').receipt?.amountMsat.toString() }),
    );
    const post = (auth?: string) =>
      app.request('/echo', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'https://app.example',
          ...(auth ? { authorization: auth } : {}),
        },
        body: '{"a":1}',
      });
    const auth = await pay(await post());
    const r = await post(auth);
    expect(await r.json()).toEqual({ body: { a: 1 }, paid: '3000' });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
  });

  it('a thrown error releases the use; an HTTPException thrown by the handler too', async () => {
    let fail: 'error' | 'http' | 'no' = 'error';
    const app = new Hono<L402Env>();
    app.use(l402(new Paywall(options())));
    app.onError((e, c) => (e instanceof HTTPException ? e.getResponse() : c.text('broke', 500)));
    app.get('/boom', (c) => {
      if (fail === 'error') throw new Error('handler broke');
      if (fail === 'http') throw new HTTPException(503, { message: 'busy' });
      return c.text('ok');
    });
    const auth = await pay(await app.request('/boom'));
    const get = () => app.request('/boom', { headers: { authorization: auth } });
    expect((await get()).status).toBe(500);
    fail = 'http';
    expect((await get()).status).toBe(503);
    fail = 'no';
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(402);
  });

  it('a 4xx answer from the handler consumes the use (the request was served)', async () => {
    const app = new Hono<L402Env>();
    app.use(l402(new Paywall(options())));
    app.get('/nope', (c) => c.text('not found', 404));
    const auth = await pay(await app.request('/nope'));
    expect((await app.request('/nope', { headers: { authorization: auth } })).status).toBe(404);
    expect((await app.request('/nope', { headers: { authorization: auth } })).status).toBe(402);
  });
});
