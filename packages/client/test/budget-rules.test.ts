/**
 * The paying client's budget rules not covered by client.test.ts: the per-host cap across two
 * servers, the rolling per-hour and per-day caps under an injected clock, and invoices the
 * client must refuse before paying (no amount, expired). Real HTTP, dev node.
 */
import {
  encodeInvoice,
  Keyring,
  macaroonToBase64,
  mintToken,
  parseCredential,
  randomBytes,
  sha256,
  toHex,
  verifyToken,
} from '@farebox/core';
import { DevNode, sats } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L402Client, wrapFetch } from '../src/index.js';
import { counting } from './support/wallets.js';

/** The error a call fails with (code, message, data); fails the test if it succeeds. */
async function failure(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; data?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; data?: Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

const echo = async (req: Request) => Response.json({ path: new URL(req.url).pathname });

describe('per-host cap: two servers, two hosts (dev node, real HTTP)', () => {
  const node = new DevNode({ production: false, balanceMsat: sats(100_000) });
  let a = ''; // http://127.0.0.1:<port>
  let b = ''; // http://localhost:<port>
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const paywall = (fill: number) =>
      new Paywall({
        secret: new Uint8Array(32).fill(fill),
        lightning: node,
        routes: [{ method: 'GET', path: '/two', price: 2 }],
      });
    const sa = await serve(paywall(11), echo, { host: '127.0.0.1' });
    const sb = await serve(paywall(12), echo, { host: 'localhost' });
    a = sa.url;
    b = sb.url;
    closers.push(sa.close, sb.close);
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await node.close();
  });

  it('the host at its cap is refused (per-host) while the other host still pays', async () => {
    expect(new URL(a).hostname).toBe('127.0.0.1');
    expect(new URL(b).hostname).toBe('localhost');
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet, budget: { perHostSats: 5 } });

    expect((await pay(`${a}/two`)).status).toBe(200);
    expect((await pay(`${a}/two`)).status).toBe(200);
    // 4 sats paid to A: 2 more would make 6 > 5.
    const e = await failure(pay(`${a}/two`));
    expect(e.code).toBe('BUDGET_EXCEEDED');
    expect(e.data).toMatchObject({ limit: 'per-host', capSats: 5, amountSats: 2, spentSats: 4 });
    expect(wallet.count).toBe(2);

    // B has its own cap: it still pays, twice, then is refused in turn.
    expect((await pay(`${b}/two`)).status).toBe(200);
    expect((await pay(`${b}/two`)).status).toBe(200);
    expect(wallet.count).toBe(4);
    expect((await failure(pay(`${b}/two`))).data).toMatchObject({ limit: 'per-host', spentSats: 4 });
    // …and A stays refused.
    expect((await failure(pay(`${a}/two`))).code).toBe('BUDGET_EXCEEDED');
    expect(wallet.count).toBe(4);

    const r = await pay.client.receipts();
    expect(r.receipts.map((x) => x.host).sort()).toEqual(
      [new URL(a).host, new URL(a).host, new URL(b).host, new URL(b).host].sort(),
    );
    expect((await pay.client.remaining()).hostSats).toEqual({
      [new URL(a).host]: 1,
      [new URL(b).host]: 1,
    });
  });

  it('a host the cap has never seen pays even when another host is at its cap', async () => {
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet, budget: { perHostSats: 2 } });
    expect((await pay(`${a}/two`)).status).toBe(200);
    expect((await failure(pay(`${a}/two`))).data).toMatchObject({ limit: 'per-host' });
    expect((await pay(`${b}/two`)).status).toBe(200);
    expect(wallet.count).toBe(2);
  });
});

describe('rolling per-hour and per-day caps with an injected clock (dev node, real HTTP)', () => {
  // One clock for the server (paywall, dev node) and the client, moved by the test.
  let nowMs = Date.UTC(2030, 0, 1, 12, 0, 0);
  const clock = () => nowMs;
  const at = (seconds: number, start: number) => {
    nowMs = start + seconds * 1000;
  };
  const node = new DevNode({
    production: false,
    balanceMsat: sats(100_000),
    now: () => Math.floor(nowMs / 1000),
  });
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(13),
      lightning: node,
      now: clock,
      routes: [{ method: 'GET', path: '/two', price: 2 }],
    });
    const s = await serve(paywall, echo);
    base = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await node.close();
  });

  it('per-hour: refused within the hour, allowed again as each payment leaves the window', async () => {
    const start = nowMs;
    const wallet = counting(node);
    const client = new L402Client({ wallet, budget: { perHourSats: 5 }, now: clock });

    at(0, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    at(600, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    at(1200, start);
    const e = await failure(client.fetch(`${base}/two`));
    expect(e.code).toBe('BUDGET_EXCEEDED');
    expect(e.data).toMatchObject({ limit: 'per-hour', capSats: 5, spentSats: 4 });
    expect((await client.remaining()).hourSats).toBe(1);

    // Still inside the hour of the first payment.
    at(3599, start);
    expect((await failure(client.fetch(`${base}/two`))).data).toMatchObject({ limit: 'per-hour' });
    expect(wallet.count).toBe(2);

    // The first payment (t=0) has left the window; the one at t=600 has not.
    at(3601, start);
    expect((await client.remaining()).spentHourSats).toBe(2);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    expect(wallet.count).toBe(3);
    expect((await failure(client.fetch(`${base}/two`))).data).toMatchObject({
      limit: 'per-hour',
      spentSats: 4,
    });

    // The payment at t=600 leaves in turn: a rolling window, not a fixed clock hour.
    at(4201, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    expect(wallet.count).toBe(4);
    expect((await client.receipts()).totalSats).toBe(8);
  });

  it('per-day: refused all day long, allowed again 24 hours after the first payment', async () => {
    nowMs += 10 * 86_400_000; // far from the previous test's payments
    const start = nowMs;
    const wallet = counting(node);
    const client = new L402Client({ wallet, budget: { perDaySats: 5 }, now: clock });

    at(0, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    at(2 * 3600, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);

    // Hours later (the hour has rolled) but the same day: refused.
    for (const s of [3 * 3600, 12 * 3600, 86_399]) {
      at(s, start);
      const e = await failure(client.fetch(`${base}/two`));
      expect(e.code).toBe('BUDGET_EXCEEDED');
      expect(e.data).toMatchObject({ limit: 'per-day', capSats: 5, spentSats: 4 });
    }
    expect(wallet.count).toBe(2);

    at(86_401, start);
    expect((await client.remaining()).daySats).toBe(3);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    expect(wallet.count).toBe(3);
    expect((await failure(client.fetch(`${base}/two`))).data).toMatchObject({ limit: 'per-day' });

    at(2 * 3600 + 86_401, start);
    expect((await client.fetch(`${base}/two`)).status).toBe(200);
    expect(wallet.count).toBe(4);
  });
});

describe('invoices refused before paying: no amount, expired (local server, hand-made challenges)', () => {
  const nodeKey = randomBytes(32);
  // The payee: a dev node with a known key, so hand-made invoices carry its signature.
  const seller = new DevNode({ production: false, privateKey: nodeKey });
  // The wallet: another dev node of this process, which can pay the seller.
  const payer = new DevNode({ production: false });
  const keyring = Keyring.fromSecret(new Uint8Array(32).fill(14));
  const hits: Record<string, { auth: string | null }[]> = {};
  let base = '';
  let close: () => Promise<void>;

  /** A no-amount invoice signed the way the dev node signs (encodeInvoice with its key). */
  function noAmountInvoice(): { paymentRequest: string; paymentHash: string } {
    const paymentHash = toHex(sha256(randomBytes(32)));
    const paymentRequest = encodeInvoice(
      {
        network: 'regtest',
        timestamp: Math.floor(Date.now() / 1000),
        paymentHash,
        paymentSecret: randomBytes(32),
        description: 'any amount',
        expirySeconds: 600,
      },
      nodeKey,
    );
    return { paymentRequest, paymentHash };
  }

  beforeAll(async () => {
    // A dev node whose clock is two hours back: its invoices are expired on arrival.
    const past = new DevNode({
      production: false,
      privateKey: randomBytes(32),
      now: () => Math.floor(Date.now() / 1000) - 7200,
    });
    const s = await listen(async (req) => {
      const url = new URL(req.url);
      const auth = req.headers.get('authorization');
      hits[url.pathname] ??= [];
      hits[url.pathname]!.push({ auth });
      if (auth) {
        const cred = parseCredential(auth);
        if (cred?.kind === 'token') {
          try {
            verifyToken({
              keyring,
              macaroon: cred.macaroons[0]!,
              preimage: cred.preimage,
              context: { service: 'svc', now: Date.now() / 1000 },
            });
            return Response.json({ ok: url.pathname });
          } catch {
            // a fresh challenge below
          }
        }
      }
      let invoice: { paymentRequest: string; paymentHash: string };
      if (url.pathname === '/no-amount' || url.pathname === '/no-amount-hash') invoice = noAmountInvoice();
      else if (url.pathname === '/expired')
        invoice = await past.createInvoice({ amountMsat: sats(3), expirySeconds: 600 });
      else invoice = await seller.createInvoice({ amountMsat: sats(3), expirySeconds: 600 });
      if (url.pathname === '/no-amount-hash') {
        // The token-less form of simple servers.
        return new Response('{}', {
          status: 402,
          headers: {
            'content-type': 'application/json',
            'www-authenticate': `L402 invoice="${invoice.paymentRequest}", payment_hash="${invoice.paymentHash}"`,
          },
        });
      }
      const { macaroon } = mintToken({
        keyring,
        paymentHash: invoice.paymentHash,
        caveats: ['services=svc:0'],
      });
      return new Response('{}', {
        status: 402,
        headers: {
          'content-type': 'application/json',
          'www-authenticate': `L402 macaroon="${macaroonToBase64(macaroon)}", invoice="${invoice.paymentRequest}"`,
        },
      });
    });
    base = s.url;
    close = async () => {
      await s.close();
      await past.close();
    };
  });
  afterAll(async () => {
    await close();
    await seller.close();
    await payer.close();
  });

  it('control: the same server with a valid invoice is paid once and answers 200', async () => {
    const wallet = counting(payer);
    const res = await wrapFetch(fetch, { wallet })(`${base}/valid`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: '/valid' });
    expect(wallet.count).toBe(1);
  });

  it.each([
    ['/no-amount', /no amount/],
    ['/no-amount-hash', /no amount/],
    ['/expired', /expired/],
  ])('%s: INVALID_CHALLENGE, the wallet is never called, nothing recorded', async (path, message) => {
    const wallet = counting(payer);
    const paid: unknown[] = [];
    const client = new L402Client({ wallet, onPayment: (r) => paid.push(r) });
    const before = hits[path]?.length ?? 0;
    const e = await failure(client.fetch(`${base}${path}`));
    expect(e.code).toBe('INVALID_CHALLENGE');
    expect(e.message).toMatch(message);
    expect(wallet.count).toBe(0);
    expect(paid).toEqual([]);
    expect((await client.receipts()).count).toBe(0);
    // One request, never retried with a credential.
    expect(hits[path]!.slice(before)).toEqual([{ auth: null }]);
    // The dry run refuses alike.
    expect((await failure(client.quote(`${base}${path}`))).code).toBe('INVALID_CHALLENGE');
    expect(wallet.count).toBe(0);
  });

  it('an invoice expired by the client clock (`now`) is refused before paying', async () => {
    const wallet = counting(payer);
    // The server's invoice is valid for 600 s of real time; the client lives 601 s ahead.
    const client = new L402Client({ wallet, now: () => Date.now() + 601_000 });
    const e = await failure(client.fetch(`${base}/valid`));
    expect(e.code).toBe('INVALID_CHALLENGE');
    expect(e.message).toMatch(/expired/);
    expect(wallet.count).toBe(0);
    // Seconds before it expires, the same invoice form is paid.
    const ok = new L402Client({ wallet, now: () => Date.now() + 500_000 });
    expect((await ok.fetch(`${base}/valid`)).status).toBe(200);
    expect(wallet.count).toBe(1);
  });

  it('the refusal comes before any budget: even an unlimited budget and approval do not pay', async () => {
    const wallet = counting(payer);
    let asked = 0;
    const pay = wrapFetch(fetch, {
      wallet,
      budget: { perRequestSats: 1_000_000, totalSats: 1_000_000 },
      approveAboveSats: 0,
      approve: () => {
        asked++;
        return true;
      },
    });
    for (const path of ['/no-amount', '/expired']) {
      expect((await failure(pay(`${base}${path}`))).code).toBe('INVALID_CHALLENGE');
    }
    expect(asked).toBe(0);
    expect(wallet.count).toBe(0);
    expect((await pay.client.remaining()).spentTotalSats).toBe(0);
  });
});
