/**
 * Signed webhooks: every event is POSTed with `X-Farebox-Signature: t=<unix s>,v1=<hex HMAC>`
 * over `<t>.<body>`; a receiver recomputes it with the shared secret.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/adapters/node.js';
import { Paywall, signWebhook } from '../src/index.js';

describe('signed webhooks', () => {
  const node = new DevNode({ production: false });
  const received: { event: string; body: string; signature: string }[] = [];
  let base = '';
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({
          event: JSON.parse(body).event,
          body,
          signature: String(req.headers['x-farebox-signature']),
        });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      receiver.close();
    });
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(3),
      lightning: node,
      routes: [{ path: '/joke', price: 5 }],
      webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'whsec' },
    });
    const s = await serve(paywall, async () => Response.json({ ok: true }));
    base = s.url;
    closers.push(s.close, () => node.close());
  });
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('posts challenge, paid and served events, each verifiably signed', async () => {
    const first = await fetch(`${base}/joke`);
    const [c] = parseChallenges(first.headers.get('www-authenticate') ?? '');
    const paid = await node.payInvoice(c!.invoice);
    const ok = await fetch(`${base}/joke`, {
      headers: { authorization: buildCredential({ macaroon: c!.macaroon, preimage: paid.preimage }) },
    });
    expect(ok.status).toBe(200);
    for (let i = 0; i < 50 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((r) => r.event)).toEqual(['challenge', 'paid', 'served']);
    for (const r of received) {
      const t = Number(/t=(\d+)/.exec(r.signature)?.[1]);
      expect(r.signature).toBe(signWebhook('whsec', r.body, t));
      expect(r.signature).not.toBe(signWebhook('other', r.body, t));
    }
    const served = JSON.parse(received[2]!.body);
    expect(served.data.receipt).toMatchObject({ service: 'joke', amountMsat: '5000' });
    expect(served.data.receipt.paymentHash).toBe(paid.paymentHash);
    expect(received.every((r) => !r.body.includes(paid.preimage))).toBe(true);
  });
});
