/**
 * One origin selling several services (as the gateway's demo does): the client keeps a
 * reusable token per service, sends each path the token of its service once it knows it, and
 * a token refused for belonging to another service is kept, not thrown away and paid again.
 */
import { DevNode, sats } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L402Client } from '../src/index.js';
import { counting } from './support/wallets.js';

const seller = new DevNode({ production: false });
const node = new DevNode({ production: false, balanceMsat: sats(100_000) });
let base = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(13),
    lightning: seller,
    routes: [
      {
        method: 'GET',
        path: '/time',
        price: 5,
        service: 'clock',
        policy: { type: 'pass', validSeconds: 3600 },
      },
      {
        method: 'GET',
        path: '/date',
        price: 5,
        service: 'clock',
        policy: { type: 'pass', validSeconds: 3600 },
      },
      {
        method: 'GET',
        path: '/weather',
        price: 7,
        service: 'weather',
        policy: { type: 'pass', validSeconds: 3600 },
      },
      { method: 'GET', path: '/joke', price: 21, service: 'jokes' },
    ],
  });
  const s = await serve(paywall, async (req) => Response.json({ path: new URL(req.url).pathname }));
  base = s.url;
  close = s.close;
});
afterAll(async () => {
  await close();
  await seller.close();
  await node.close();
});

describe('several services on one origin', () => {
  it('a pass, a per-request call and another pass: each paid once, the passes kept and reused', async () => {
    const w = counting(node);
    const client = new L402Client({ wallet: w });
    const get = async (path: string) => {
      const res = await client.fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({ path });
    };
    await get('/time'); // pays the clock pass
    await get('/joke'); // the clock pass is refused there (another service) and kept; pays the joke
    await get('/time'); // the clock pass again
    await get('/weather'); // pays the weather pass
    await get('/time');
    await get('/weather');
    expect(w.count).toBe(3);
    // Another path of the clock service: its challenge names the service, the pass at hand is used.
    await get('/date');
    expect(w.count).toBe(3);
    expect((await client.receipts()).totalSats).toBe(5 + 21 + 7);
  });
});
