import { DevNode, sats } from '@farebox/lightning';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebLnWallet, wrapFetch } from '../src/index.js';

describe('WebLN wallet (a provider shaped like window.webln, paying through a dev node)', () => {
  const seller = new DevNode({ production: false });
  const buyer = new DevNode({ production: false, balanceMsat: sats(1000) });
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(6),
      lightning: seller,
      routes: [{ path: '/joke', price: 7 }],
    });
    const s = await serve(paywall, async () => Response.json({ joke: 'ok' }));
    base = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await seller.close();
    await buyer.close();
  });

  it('enables once, pays, and the client retries with the preimage', async () => {
    const calls: string[] = [];
    const provider = {
      enable: async () => void calls.push('enable'),
      sendPayment: async (pr: string) => {
        calls.push('sendPayment');
        return { preimage: (await buyer.payInvoice(pr)).preimage };
      },
      getBalance: async () => ({ balance: Number((await buyer.getBalance()).balanceMsat / 1000n) }),
    };
    const pay = wrapFetch(fetch, { wallet: new WebLnWallet(provider) });
    expect((await pay(`${base}/joke`)).status).toBe(200);
    expect((await pay(`${base}/joke`)).status).toBe(200);
    expect(calls).toEqual(['enable', 'sendPayment', 'sendPayment']);
    expect((await new WebLnWallet(provider).getBalance()).balanceMsat).toBe(sats(986));
  });

  it('a wallet that refuses, or returns a wrong preimage, is a typed failure', async () => {
    const refusing = {
      enable: async () => {},
      sendPayment: async () => Promise.reject(new Error('User rejected')),
    };
    await expect(
      wrapFetch(fetch, { wallet: new WebLnWallet(refusing) })(`${base}/joke`),
    ).rejects.toMatchObject({
      code: 'PAYMENT_FAILED',
    });
    const lying = { enable: async () => {}, sendPayment: async () => ({ preimage: '00'.repeat(32) }) };
    await expect(wrapFetch(fetch, { wallet: new WebLnWallet(lying) })(`${base}/joke`)).rejects.toMatchObject({
      code: 'PAYMENT_FAILED',
    });
    await expect(new WebLnWallet().payInvoice('lnbcrt1')).rejects.toMatchObject({ code: 'LN_UNREACHABLE' });
  });
});
