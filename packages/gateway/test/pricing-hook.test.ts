/**
 * Dynamic prices from an HTTP pricing hook: the gateway POSTs what the request is, the hook
 * answers `{"price_sats": n}` (or `price_msat`), and the challenge carries that price. A hook
 * that fails gives a clear 400 and no invoice.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { buy, devPayer, gatewayFrom } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

describe('gateway: pricing hook', () => {
  let up: Upstream;
  let gw: Gateway;
  let hookUrl = '';
  const asked: { method: string; path: string; body: unknown }[] = [];
  let closeHook: () => void;

  beforeAll(async () => {
    const hook = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        const q = JSON.parse(data) as { method: string; path: string; body: unknown };
        asked.push(q);
        res.setHeader('content-type', 'application/json');
        if (q.path.endsWith('/broken')) {
          res.statusCode = 500;
          res.end('{}');
          return;
        }
        const size = (q.body as { size?: string } | null)?.size;
        res.end(
          JSON.stringify(
            size === 'large'
              ? { price_sats: 40 }
              : q.path.endsWith('/msat')
                ? { price_msat: '2500' }
                : { price_sats: 3 },
          ),
        );
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/price`;
    closeHook = () => hook.close();
    up = await startUpstream();
    gw = await gatewayFrom({
      backend: 'dev',
      services: [{ name: 'images', path: '/img/*', upstream: up.url, price: { hook: hookUrl } }],
    });
  });
  afterAll(async () => {
    await gw.stop(1000);
    await up.stop();
    closeHook();
  });

  it('prices each request by what the hook answers', async () => {
    const small = await fetch(`${gw.url}/img/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"size":"small"}',
    });
    expect(small.status).toBe(402);
    expect((await small.json()).price_sats).toBe(3);
    const large = await fetch(`${gw.url}/img/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"size":"large"}',
    });
    expect((await large.json()).price_sats).toBe(40);
    const msat = await fetch(`${gw.url}/img/msat`);
    expect((await msat.json()).price_msat).toBe('2500');
    expect(
      asked.find((a) => a.path === '/img/render' && (a.body as { size?: string })?.size === 'large'),
    ).toMatchObject({
      method: 'POST',
    });
  });

  it('a paid request at the hook price is served', async () => {
    const auth = await buy(`${gw.url}/img/echo`, devPayer(gw));
    const res = await fetch(`${gw.url}/img/echo`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
  });

  it('a failing hook is a clear 400 with no invoice', async () => {
    const res = await fetch(`${gw.url}/img/broken`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('L402_INVALID_REQUEST');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });
});
