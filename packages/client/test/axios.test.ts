import { DevNode, sats } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L402Client, withL402 } from '../src/index.js';

describe('axios interceptor against a farebox server (dev node, real HTTP)', () => {
  const node = new DevNode({ production: false, balanceMsat: sats(10_000) });
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(2),
      lightning: node,
      routes: [
        { method: 'POST', path: '/echo', price: 4 },
        { method: 'GET', path: '/pricey', price: 900 },
      ],
    });
    const s = await serve(paywall, async (req) =>
      Response.json({ got: await req.json(), q: new URL(req.url).search }),
    );
    base = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await node.close();
  });

  it('pays and returns axios-shaped responses', async () => {
    const client = new L402Client({ wallet: node });
    const api = withL402(axios.create({ baseURL: base }), client);
    const res = await api.post('/echo', { hello: 'world' }, { params: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ got: { hello: 'world' }, q: '?a=1' });
    expect((await client.receipts()).totalSats).toBe(4);
  });

  it('budget refusals surface as errors before paying', async () => {
    const client = new L402Client({ wallet: node, budget: { perRequestSats: 10 } });
    const api = withL402(axios.create({ baseURL: base }), client);
    await expect(api.get('/pricey')).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect((await client.receipts()).count).toBe(0);
  });
});
