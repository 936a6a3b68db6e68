/**
 * A third-party L402 client pays a farebox server: Alby's `fetchWithL402`
 * (`@getalby/lightning-tools`, as published) reads farebox's challenge, pays through a WebLN
 * provider (here backed by a dev node), and retries with its own `Authorization` form.
 * Real HTTP; nothing of the client is reimplemented.
 */

import { DevNode, sats } from '@farebox/lightning';
import { fetchWithL402, MemoryStorage } from '@getalby/lightning-tools/l402';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/adapters/node.js';
import { Paywall } from '../src/index.js';

const seller = new DevNode({ production: false });
const buyer = new DevNode({ production: false, balanceMsat: sats(10_000) });
let base = '';
let close: () => Promise<void>;
let served = 0;
const payments: string[] = [];

/** A WebLN provider (what a browser extension offers) that pays from the buyer's dev node. */
const webln = {
  enable: async () => {},
  sendPayment: async (invoice: string) => {
    payments.push(invoice);
    return { preimage: (await buyer.payInvoice(invoice)).preimage };
  },
};

beforeAll(async () => {
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(11),
    lightning: seller,
    routes: [
      { method: 'GET', path: '/joke', price: 21 },
      { method: 'GET', path: '/clock', price: 5, policy: { type: 'pass', validSeconds: 3600 } },
    ],
  });
  const s = await serve(paywall, async (req) => {
    served++;
    return Response.json({ path: new URL(req.url).pathname, n: served });
  });
  base = s.url;
  close = s.close;
});
afterAll(async () => {
  await close();
  await seller.close();
  await buyer.close();
});

describe("Alby's fetchWithL402 against a farebox server", () => {
  it('pays the challenge and is served; the paid single-use token is not served twice', async () => {
    const store = new MemoryStorage();
    const res = await fetchWithL402(`${base}/joke`, {}, { webln, store });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ path: '/joke' });
    expect(payments).toHaveLength(1);
    // Alby caches the token per URL and sends it again: farebox serves a payment once.
    const again = await fetchWithL402(`${base}/joke`, {}, { webln, store });
    expect(again.status).toBe(402);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('L402_TOKEN_USED');
    expect(payments).toHaveLength(1);
  });

  it('a pass: one payment, then the cached token serves every call', async () => {
    const store = new MemoryStorage();
    const before = payments.length;
    for (let i = 0; i < 3; i++) {
      const res = await fetchWithL402(`${base}/clock`, {}, { webln, store });
      expect(res.status).toBe(200);
    }
    expect(payments.length - before).toBe(1);
  });

  it('the LSAT header key works too', async () => {
    const res = await fetchWithL402(
      `${base}/clock`,
      {},
      { webln, store: new MemoryStorage(), headerKey: 'LSAT' },
    );
    expect(res.status).toBe(200);
  });
});
