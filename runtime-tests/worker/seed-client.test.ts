/**
 * The client side of the seed tutorial against the Worker template (workerd, over real HTTP)
 * on the regtest network, paying from alice's wallet over Nostr Wallet Connect:
 * - the farebox client in the L402 flow (macaroon + preimage);
 * - the farebox client in the seed's JSON-body flow (`payment_request`/`payment_hash`);
 * - the seed's own `fetchL402`, as the tutorial writes it, paying with Alby's `LN` class
 *   (@getalby/sdk) over NWC, and again with farebox's NwcBackend in its place.
 */
import { L402Client } from '@farebox/client';
import { NwcBackend } from '@farebox/lightning';
import { LN } from '@getalby/sdk/lnclient';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningWorker } from '../../templates/cloudflare-worker/test/support/worker.js';
import { type Network, network, REGTEST_UP_TIMEOUT_MS, worker } from './support.js';

let net: Network;
let w: RunningWorker;

beforeAll(async () => {
  net = await network();
  // No free tier here: over real HTTP every client is 127.0.0.1.
  w = await worker(net, { FREE_PER_DAY: '0' });
}, REGTEST_UP_TIMEOUT_MS);

afterAll(async () => {
  await w?.dispose();
  await net?.close();
});

const ask = (prompt: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ prompt }),
});

/**
 * The seed tutorial's client, line for line, with `new NwcBackend({ uri, WebSocket })` and
 * `payInvoice` where it has `new LN(nwcCredentials)` and `pay`.
 */
async function fetchL402(url: string, body: Record<string, unknown>, nwcCredentials: string) {
  // Step 1: Make the initial request
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  // Step 2: If not 402, return as-is
  if (res.status !== 402) return res.json();
  // Step 3: Parse the invoice from the 402 response
  const data = (await res.json()) as { payment_request: string; payment_hash: string };
  const { payment_request, payment_hash } = data;
  // Step 4: Pay the invoice via NWC
  const ln = new NwcBackend({ uri: nwcCredentials, WebSocket });
  await ln.payInvoice(payment_request);
  await ln.close();
  // Step 5: Retry with proof of payment
  const paid = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, payment_hash }),
  });
  return paid.json();
}

describe("the seed's client side, paying the Worker through NWC", () => {
  it('the farebox client: L402 flow (macaroon and preimage)', async () => {
    const seen: string[] = [];
    const client = new L402Client({
      wallet: net.nwc(),
      budget: { perRequestSats: 100, perDaySats: 1000 },
      fetch: async (input, init) => {
        const req = new Request(input, init);
        seen.push(req.headers.get('authorization')?.split(' ')[0] ?? '-');
        return fetch(req);
      },
    });
    const res = await client.fetch(`${w.url}/`, ask('L402 please'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'This is your paid API response for: L402 please' });
    expect(seen).toEqual(['-', 'L402']);
    const r = await client.receipts();
    expect(r.count).toBe(1);
    expect(r.totalSats).toBe(21);
    expect(r.receipts[0]!.tokenId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the farebox client: the seed's JSON-body flow (payment_hash in the body)", async () => {
    // The Worker as the seed's clients know it: only the JSON body of the 402 (no macaroon, no
    // WWW-Authenticate), and only the body of the retry (no Authorization header) reaches it.
    const retries: string[] = [];
    const seedView = async (input: string | URL | Request, init?: RequestInit) => {
      const req = new Request(input, init);
      const body = await req.text();
      if (req.headers.has('authorization')) retries.push(body);
      const res = await fetch(req.url, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 402) return res;
      const { macaroon: _dropped, ...simple } = (await res.json()) as Record<string, unknown>;
      return Response.json(simple, { status: 402 });
    };
    const client = new L402Client({ wallet: net.nwc(), budget: { perRequestSats: 100 }, fetch: seedView });
    const res = await client.fetch(`${w.url}/`, ask('hash please'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'This is your paid API response for: hash please' });
    expect(retries).toHaveLength(1);
    const sent = JSON.parse(retries[0]!) as { prompt: string; payment_hash: string };
    expect(sent.prompt).toBe('hash please');
    expect(sent.payment_hash).toMatch(/^[0-9a-f]{64}$/);
    // The same proof again is refused: each hash is served once.
    const replay = await fetch(`${w.url}/`, { ...ask('hash please'), body: retries[0]! });
    expect(replay.status).toBe(402);
  });

  it("the seed's fetchL402 verbatim, paying with Alby's own LN class (@getalby/sdk) over NWC", async () => {
    // Node 20 has no global WebSocket; Alby's SDK (nostr-tools) looks for one.
    const g = globalThis as { WebSocket?: unknown };
    const had = g.WebSocket;
    g.WebSocket ??= WebSocket;
    try {
      // The tutorial's client, line for line (types added).
      async function seedFetchL402(url: string, body: Record<string, unknown>, nwcCredentials: string) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (res.status !== 402) return res.json();
        const data = (await res.json()) as { payment_request: string; payment_hash: string };
        const { payment_request, payment_hash } = data;
        const ln = new LN(nwcCredentials);
        await ln.pay(payment_request);
        ln.close();
        const paid = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...body, payment_hash }),
        });
        return paid.json();
      }
      expect(await seedFetchL402(`${w.url}/`, { prompt: 'Alby pays' }, net.wallet.uri())).toEqual({
        result: 'This is your paid API response for: Alby pays',
      });
    } finally {
      g.WebSocket = had;
    }
  });

  it("the seed's own fetchL402 (with NwcBackend for Alby's LN) is served, and its hash only once", async () => {
    const uri = net.wallet.uri();
    expect(await fetchL402(`${w.url}/`, { prompt: 'What is Lightning?' }, uri)).toEqual({
      result: 'This is your paid API response for: What is Lightning?',
    });
    // Asking again pays a new invoice and works again.
    expect(await fetchL402(`${w.url}/`, { prompt: 'What is Lightning?' }, uri)).toEqual({
      result: 'This is your paid API response for: What is Lightning?',
    });
    // What made the seed insecure: replaying a paid hash. Here it is refused.
    const first = await fetch(`${w.url}/`, ask('replay me'));
    const { payment_request, payment_hash } = (await first.json()) as Record<string, string>;
    const ln = new NwcBackend({ uri, WebSocket });
    await ln.payInvoice(payment_request!);
    await ln.close();
    const proof = { ...ask('replay me'), body: JSON.stringify({ prompt: 'replay me', payment_hash }) };
    expect((await fetch(`${w.url}/`, proof)).status).toBe(200);
    const again = await fetch(`${w.url}/`, proof);
    expect(again.status).toBe(402);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('L402_TOKEN_USED');
  });
});
