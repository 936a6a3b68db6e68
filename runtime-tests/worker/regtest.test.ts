/**
 * The Cloudflare Worker template inside workerd (Miniflare: its Durable Object and KV, two
 * isolates) selling through the real LNbits 1.6 of the regtest network with the invoice key;
 * alice pays through Nostr Wallet Connect (loopback relay, NIP-47 service on her lnd) and
 * through her lnd's REST API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeInvoice } from '@farebox/core';
import { LnbitsBackend } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWorker } from '../../templates/cloudflare-worker/test/support/worker.js';
import { type Network, network, REGTEST_UP_TIMEOUT_MS, worker } from './support.js';

let net: Network;
let w: RunningWorker;
let lnbits: LnbitsBackend;
let n = 0;
const freshIp = () => `100.64.${++n}.9`;
/** A client that has had its free answer. */
const PAYER = '100.127.0.1';

interface ChallengeBody {
  error: { code: string };
  payment_request: string;
  payment_hash: string;
  macaroon: string;
  price_sats: number;
}

function post(body: unknown, o: { ip?: string; auth?: string; isolate?: number } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.auth) headers.authorization = o.auth;
  return w.fetch('/', {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ip: o.ip ?? PAYER,
    ...(o.isolate !== undefined ? { isolate: o.isolate } : {}),
  });
}

async function challenge(prompt: string): Promise<ChallengeBody> {
  const res = await post({ prompt });
  expect(res.status).toBe(402);
  return (await res.json()) as ChallengeBody;
}

const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

beforeAll(async () => {
  net = await network();
  lnbits = new LnbitsBackend({ url: net.lnbits.url, key: net.lnbits.invoiceKey });
  w = await worker(net, {}, 2);
  expect((await post({ prompt: 'free one' })).status).toBe(200);
}, REGTEST_UP_TIMEOUT_MS);

afterAll(async () => {
  await w?.dispose();
  await lnbits?.close();
  await net?.close();
});

describe('the Worker on regtest LNbits', () => {
  it('GET / describes the service', async () => {
    const res = await w.fetch('/');
    expect(await res.json()).toMatchObject({
      service: 'My L402 API',
      usage: 'POST with {"prompt": "your question"}',
      price: '21 sats per request',
    });
  });

  it('CORS preflight exposes WWW-Authenticate', async () => {
    const res = await w.fetch('/', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('400 without a prompt', async () => {
    const res = await post({ promt: 'typo' }, { ip: freshIp() });
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe('L402_INVALID_REQUEST');
  });

  it('a free request, then a second one gets 402 with a real LNbits invoice', async () => {
    const ip = freshIp();
    const first = await post({ prompt: 'free?' }, { ip });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ result: 'This is your paid API response for: free?', free: true });
    const second = await post({ prompt: 'free?' }, { ip, isolate: 1 });
    expect(second.status).toBe(402);
    expect(second.headers.get('www-authenticate')).toMatch(/^L402 macaroon="/);
    const c = (await second.json()) as ChallengeBody;
    const inv = decodeInvoice(c.payment_request);
    expect(inv.network).toBe('regtest');
    expect(inv.amountMsat).toBe(21_000n);
    expect(inv.payee).toBe(net.env.BOB_PUBKEY); // LNbits' funding source is bob
    expect((await lnbits.lookupInvoice(c.payment_hash)).state).toBe('open');
  });

  it('unpaid: a payment hash of an open invoice is refused (402 not paid)', async () => {
    const c = await challenge('unpaid');
    const res = await post({ prompt: 'unpaid', payment_hash: c.payment_hash });
    expect(res.status).toBe(402);
    expect(await codeOf(res)).toBe('L402_NOT_PAID');
  });

  it('paid through NWC: the L402 token is served once; the replayed token pays again', async () => {
    const nwc = net.nwc();
    const c = await challenge('nwc token');
    const paid = await nwc.payInvoice(c.payment_request);
    // Paid by alice's wallet service over the relay, and settled at LNbits. (No balance
    // check: other suites share alice's channel.)
    expect(net.wallet.requests.map((r) => r.method)).toContain('pay_invoice');
    expect((await lnbits.lookupInvoice(c.payment_hash)).state).toBe('settled');
    const auth = `L402 ${c.macaroon}:${paid.preimage}`;
    const res = await post({ prompt: 'nwc token' }, { auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'This is your paid API response for: nwc token' });
    const replay = await post({ prompt: 'nwc token' }, { auth, isolate: 1 });
    expect(replay.status).toBe(402);
    expect(await codeOf(replay)).toBe('L402_TOKEN_USED');
  });

  it('paid through lnd REST: payment_hash in the body is served once; the replayed hash pays again', async () => {
    const c = await challenge('lnd hash');
    const p = await net.alice.payInvoice(c.payment_request);
    expect(p.status).toBe('SUCCEEDED');
    expect((await lnbits.lookupInvoice(c.payment_hash)).state).toBe('settled');
    const res = await post({ prompt: 'lnd hash', payment_hash: c.payment_hash }, { isolate: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'This is your paid API response for: lnd hash' });
    const replay = await post({ prompt: 'lnd hash', payment_hash: c.payment_hash });
    expect(replay.status).toBe(402);
    expect(await codeOf(replay)).toBe('L402_TOKEN_USED');
  });

  it('paid through lnd REST: Authorization: L402 <payment_hash>, bound to its request', async () => {
    const c = await challenge('header hash');
    expect((await net.alice.payInvoice(c.payment_request)).status).toBe('SUCCEEDED');
    const auth = `L402 ${c.payment_hash}`;
    const other = await post({ prompt: 'something else' }, { auth });
    expect(other.status).toBe(401);
    expect(await codeOf(other)).toBe('L402_REQUEST_MISMATCH');
    expect((await post({ prompt: 'header hash' }, { auth })).status).toBe(200);
    expect((await post({ prompt: 'header hash' }, { auth, isolate: 1 })).status).toBe(402);
  });

  it('two isolates racing one paid token: served exactly once', async () => {
    const c = await challenge('race');
    const p = await net.alice.payInvoice(c.payment_request);
    const auth = `L402 ${c.macaroon}:${p.payment_preimage}`;
    const all = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post({ prompt: 'race' }, { auth, isolate: i % 2 })),
    );
    expect(all.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('LNbits down (a closed port): a clear 503', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const down = await worker(
      { ...net, lnbits: { ...net.lnbits, url: `http://127.0.0.1:${port}` } },
      { FREE_PER_DAY: '0' },
    );
    try {
      const res = await down.fetch('/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'anyone?' }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({
        error: { code: 'L402_BACKEND_UNAVAILABLE', message: expect.stringContaining('unavailable') },
      });
    } finally {
      await down.dispose();
    }
  });
});
