/**
 * LnbitsBackend against the real LNbits 1.6 of the regtest network (on bob's lnd), with
 * alice's lnd on the other side of the channel; and against local HTTP servers that
 * misbehave. The LNbits wallet is shared with other suites: no exact balance checks.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeInvoice, sha256, toHex } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LnbitsBackend } from '../src/lnbits.js';
import { sats } from '../src/types.js';
import { type LndRestMini, lnbitsOf, lndOf } from './support/lnd-rest-mini.js';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from './support/regtest.js';

const hashOf = (preimageHex: string) => toHex(sha256(Uint8Array.from(Buffer.from(preimageHex, 'hex'))));

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

/** Polls `check` every 100 ms until it holds; fails after `ms`. */
async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closedPort(): Promise<number> {
  const { server } = await serve(() => undefined);
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('LNbits 1.6 on regtest', () => {
  let env: RegtestEnv;
  let lb: ReturnType<typeof lnbitsOf>;
  let alice: LndRestMini;
  let seller: LnbitsBackend;
  let payer: LnbitsBackend;

  beforeAll(async () => {
    env = await regtest();
    alice = lndOf(env, 'alice');
    lb = lnbitsOf(env);
    seller = new LnbitsBackend({ url: lb.url, key: lb.invoiceKey, WebSocket });
    payer = new LnbitsBackend({
      url: lb.url,
      key: lb.invoiceKey,
      adminKey: lb.adminKey,
    });
  }, REGTEST_UP_TIMEOUT_MS);

  afterAll(async () => {
    await seller?.close();
    await payer?.close();
  });

  it('issues an invoice with the invoice key; alice pays; the websocket wait and lookup see it settled with the preimage', async () => {
    const inv = await seller.createInvoice({
      amountMsat: sats(1500),
      memo: 'farebox lnbits test',
      expirySeconds: 900,
    });
    const decoded = decodeInvoice(inv.paymentRequest);
    expect(decoded.network).toBe('regtest');
    expect(decoded.amountMsat).toBe(1_500_000n);
    expect(decoded.paymentHash).toBe(inv.paymentHash);
    expect(decoded.description).toBe('farebox lnbits test');
    expect(inv.amountMsat).toBe(1_500_000n);
    expect(inv.expiresAt).toBe(decoded.timestamp + 900);
    expect((await seller.lookupInvoice(inv.paymentHash)).state).toBe('open');

    // Polling every 60 s with a 45 s deadline: only the websocket can resolve this in time.
    const waiting = seller.waitForInvoice(inv.paymentHash, { timeoutMs: 45_000, pollIntervalMs: 60_000 });
    const pay = await alice.payInvoice(inv.paymentRequest);
    expect(pay.status).toBe('SUCCEEDED');

    const settled = await waiting;
    expect(settled.state).toBe('settled');
    expect(settled.preimage).toBe(pay.payment_preimage);
    expect(hashOf(settled.preimage!)).toBe(inv.paymentHash);

    const looked = await seller.lookupInvoice(inv.paymentHash);
    expect(looked.state).toBe('settled');
    expect(looked.preimage).toBe(pay.payment_preimage);
    expect(looked.amountPaidMsat).toBe(1_500_000n);
    expect(looked.paymentRequest).toBe(inv.paymentRequest);
  });

  it('waitForInvoice polls when there is no WebSocket (Node 20 without `ws`)', async () => {
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBeUndefined();
    const inv = await payer.createInvoice({ amountMsat: sats(200), memo: 'polled' });
    const waiting = payer.waitForInvoice(inv.paymentHash, { timeoutMs: 45_000, pollIntervalMs: 250 });
    await alice.payInvoice(inv.paymentRequest);
    const settled = await waiting;
    expect(settled.state).toBe('settled');
    expect(hashOf(settled.preimage!)).toBe(inv.paymentHash);
  });

  it('pays an invoice issued by alice with the admin key; paying it again is LN_ALREADY_PAID', async () => {
    // The two tests above funded the LNbits wallet with 1700 sat.
    expect((await payer.getBalance()).balanceMsat).toBeGreaterThanOrEqual(sats(150));
    const inv = await alice.addInvoice({ valueMsat: sats(100), memo: 'from lnbits' });
    const paid = await payer.payInvoice(inv.paymentRequest);
    expect(paid.paymentHash).toBe(inv.paymentHash);
    expect(hashOf(paid.preimage)).toBe(inv.paymentHash);
    expect(paid.amountMsat).toBe(sats(100));
    expect(paid.feeMsat).toBeGreaterThanOrEqual(0n);
    const atAlice = await alice.lookupInvoice(inv.paymentHash);
    expect(atAlice.state).toBe('SETTLED');
    expect(Buffer.from(atAlice.r_preimage!, 'base64').toString('hex')).toBe(paid.preimage);

    expect(await code(payer.payInvoice(inv.paymentRequest))).toBe('LN_ALREADY_PAID');
  });

  it('lookupPayment: a payment to alice reads succeeded with its preimage; unknown hashes and incoming invoices read failed', async () => {
    const inv = await alice.addInvoice({ valueMsat: sats(20), memo: 'recover the preimage' });
    const paid = await payer.payInvoice(inv.paymentRequest);
    const looked = await payer.lookupPayment(inv.paymentHash);
    expect(looked).toEqual({ state: 'succeeded', preimage: paid.preimage });
    expect(hashOf(looked.preimage!)).toBe(inv.paymentHash);
    // The wallet's invoice key reads it as well, and hashes are case-insensitive.
    expect(await seller.lookupPayment(inv.paymentHash.toUpperCase())).toEqual(looked);

    expect(await payer.lookupPayment('00'.repeat(32))).toEqual({ state: 'failed' });

    // An invoice of this wallet that alice paid: LNbits has it as paid, with a preimage, but
    // this wallet spent nothing for it.
    const incoming = await payer.createInvoice({ amountMsat: sats(30), memo: 'incoming, not a payment' });
    expect((await alice.payInvoice(incoming.paymentRequest)).status).toBe('SUCCEEDED');
    expect((await payer.lookupInvoice(incoming.paymentHash)).state).toBe('settled');
    expect(await payer.lookupPayment(incoming.paymentHash)).toEqual({ state: 'failed' });
    const open = await payer.createInvoice({ amountMsat: sats(3) });
    expect(await payer.lookupPayment(open.paymentHash)).toEqual({ state: 'failed' });

    expect(await code(payer.lookupPayment('xyz'))).toBe('INVALID_ARGUMENT');
    // LNbits answers a key of no wallet without `details`: that is refused, not read as failed.
    const wrong = new LnbitsBackend({ url: lb.url, key: '0123456789abcdef0123456789abcdef' });
    expect(await code(wrong.lookupPayment(inv.paymentHash))).toBe('LN_UNAUTHORIZED');
  });

  it('lookupPayment follows a payment in flight: pending while alice holds it, then succeeded or failed', {
    timeout: 120_000,
  }, async () => {
    const kept = randomBytes(32).toString('hex');
    const dropped = randomBytes(32).toString('hex');
    try {
      const hold = await alice.addHoldInvoice({ hash: hashOf(kept), valueMsat: sats(25), memo: 'held' });
      const paying = payer.payInvoice(hold.paymentRequest, { timeoutMs: 60_000 });
      paying.catch(() => undefined);
      await until(async () => (await alice.lookupInvoice(hashOf(kept))).state === 'ACCEPTED');
      // LNbits asks lnd first, which says nothing for 30 s about a payment in flight.
      expect(await code(payer.lookupPayment(hashOf(kept), { timeoutMs: 1000 }))).toBe('LN_TIMEOUT');
      expect(await payer.lookupPayment(hashOf(kept))).toEqual({ state: 'pending' });
      await alice.settleInvoice(kept);
      expect((await paying).preimage).toBe(kept);
      expect(await payer.lookupPayment(hashOf(kept))).toEqual({ state: 'succeeded', preimage: kept });

      const hold2 = await alice.addHoldInvoice({ hash: hashOf(dropped), valueMsat: sats(26) });
      const paying2 = payer.payInvoice(hold2.paymentRequest, { timeoutMs: 60_000 });
      paying2.catch(() => undefined);
      await until(async () => (await alice.lookupInvoice(hashOf(dropped))).state === 'ACCEPTED');
      // A lookup under way when the payment ends answers with the outcome.
      const looking = payer.lookupPayment(hashOf(dropped));
      await new Promise((r) => setTimeout(r, 500));
      await alice.cancelInvoice(hashOf(dropped));
      expect(await looking).toEqual({ state: 'failed' });
      expect(await code(paying2)).toBe('LN_PAYMENT_FAILED');
      expect(await payer.lookupPayment(hashOf(dropped))).toEqual({ state: 'failed' });
    } finally {
      // Never leave an HTLC locked in the shared channel when an assertion fails.
      for (const p of [kept, dropped]) await alice.cancelInvoice(hashOf(p)).catch(() => undefined);
    }
  });

  it('refuses: the invoice key cannot pay, a wrong key, too little balance, an expired invoice', async () => {
    const inv = await alice.addInvoice({ valueMsat: sats(10), memo: 'not payable with the invoice key' });
    expect(await code(seller.payInvoice(inv.paymentRequest))).toBe('LN_UNAUTHORIZED');

    const wrong = new LnbitsBackend({ url: lb.url, key: '0123456789abcdef0123456789abcdef' });
    expect(await code(wrong.createInvoice({ amountMsat: sats(1) }))).toBe('LN_UNAUTHORIZED');
    expect(await code(wrong.getBalance())).toBe('LN_UNAUTHORIZED');
    expect(await code(wrong.payInvoice(inv.paymentRequest))).toBe('LN_UNAUTHORIZED');

    const big = await alice.addInvoice({ valueMsat: sats(4_000_000), memo: 'too big' });
    expect(await code(payer.payInvoice(big.paymentRequest))).toBe('LN_INSUFFICIENT_BALANCE');

    const soon = await alice.addInvoice({ valueMsat: sats(5), memo: 'expires', expiry: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await code(payer.payInvoice(soon.paymentRequest))).toBe('LN_INVOICE_EXPIRED');
  });

  it('validates input; unknown hashes are LN_NOT_FOUND; expired invoices read expired; waiting times out', async () => {
    expect(await code(seller.createInvoice({ amountMsat: 1500n }))).toBe('INVALID_ARGUMENT');
    expect(await code(seller.createInvoice({ amountMsat: 0n }))).toBe('INVALID_ARGUMENT');
    expect(await code(seller.lookupInvoice('xyz'))).toBe('INVALID_ARGUMENT');
    expect(await code(seller.lookupInvoice('00'.repeat(32)))).toBe('LN_NOT_FOUND');
    expect(await code(seller.waitForInvoice('00'.repeat(32), { timeoutMs: 5000 }))).toBe('LN_NOT_FOUND');

    const open = await seller.createInvoice({ amountMsat: sats(3) });
    expect(await code(seller.waitForInvoice(open.paymentHash, { timeoutMs: 1500 }))).toBe('LN_TIMEOUT');

    const short = await seller.createInvoice({ amountMsat: sats(3), expirySeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    expect((await seller.lookupInvoice(short.paymentHash)).state).toBe('expired');
    expect((await seller.waitForInvoice(short.paymentHash, { timeoutMs: 5000 })).state).toBe('expired');
  });

  it('getInfo names the wallet; description hashes are passed through', async () => {
    const info = await seller.getInfo();
    expect(info.backend).toBe('lnbits');
    expect(typeof info.alias).toBe('string');
    const descriptionHash = toHex(sha256(new TextEncoder().encode('a long description')));
    const inv = await seller.createInvoice({ amountMsat: sats(2), descriptionHash });
    expect(decodeInvoice(inv.paymentRequest).descriptionHash).toBe(descriptionHash);
  });
});

describe('LNbits failure modes (local servers)', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('a closed port is LN_UNREACHABLE', async () => {
    const lnbits = new LnbitsBackend({ url: `http://127.0.0.1:${await closedPort()}`, key: 'k' });
    expect(await code(lnbits.getBalance())).toBe('LN_UNREACHABLE');
    expect(await code(lnbits.createInvoice({ amountMsat: sats(1) }))).toBe('LN_UNREACHABLE');
  });

  it('HTML, HTTP 500 and non-LNbits 404s are LN_BAD_RESPONSE; a hanging server is LN_TIMEOUT', async () => {
    const html = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>captive portal</title>');
    });
    const fail = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    });
    const notLnbits = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"detail":"Not Found"}');
    });
    const hang = await serve(() => undefined);
    servers.push(html.server, fail.server, notLnbits.server, hang.server);
    const at = (url: string) => new LnbitsBackend({ url, key: 'k', timeoutMs: 500 });
    expect(await code(at(html.url).getBalance())).toBe('LN_BAD_RESPONSE');
    expect(await code(at(html.url).createInvoice({ amountMsat: sats(1) }))).toBe('LN_BAD_RESPONSE');
    expect(await code(at(fail.url).getInfo())).toBe('LN_BAD_RESPONSE');
    expect(await code(at(notLnbits.url).getInfo())).toBe('LN_BAD_RESPONSE');
    expect(await code(at(hang.url).getBalance())).toBe('LN_TIMEOUT');
    expect(await code(at(hang.url).lookupInvoice('11'.repeat(32)))).toBe('LN_TIMEOUT');
    expect(await code(at(hang.url).lookupPayment('11'.repeat(32)))).toBe('LN_TIMEOUT');
    expect(await code(at(notLnbits.url).lookupPayment('11'.repeat(32)))).toBe('LN_BAD_RESPONSE');
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 100);
    expect(
      await code(at(hang.url).lookupPayment('11'.repeat(32), { signal: aborted.signal, timeoutMs: 10_000 })),
    ).toBe('LN_TIMEOUT');
  });

  it('bad configuration is LN_BAD_CONFIG, and no message carries the key', async () => {
    expect(() => new LnbitsBackend({ url: 'ftp://x', key: 'k' })).toThrow(/url/);
    expect(() => new LnbitsBackend({ url: 'http://127.0.0.1:1', key: '' })).toThrow(/key/);
    const secret = 'f00dfeedf00dfeedf00dfeedf00dfeed';
    const lnbits = new LnbitsBackend({ url: `http://127.0.0.1:${await closedPort()}`, key: secret });
    try {
      await lnbits.getBalance();
    } catch (e) {
      expect(JSON.stringify(e) + String(e) + JSON.stringify((e as { data?: unknown }).data)).not.toContain(
        secret,
      );
    }
  });
});
