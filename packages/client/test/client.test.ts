import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildCredential,
  Keyring,
  macaroonToBase64,
  mintToken,
  parseCredential,
  sha256,
  toHex,
  verifyToken,
} from '@farebox/core';
import { DevNode, devNodeHandler, sats } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L402Client, wrapFetch } from '../src/index.js';
import { FileClientStore } from '../src/node/index.js';
import { counting } from './support/wallets.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('client against a farebox server (dev node, real HTTP)', () => {
  const node = new DevNode({ production: false, balanceMsat: sats(1_000_000) });
  let base = '';
  let close: () => Promise<void>;

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(1),
      lightning: node,
      routes: [
        { method: 'POST', path: '/echo', price: 10 },
        { method: 'GET', path: '/pass', price: 3, policy: { type: 'pass', validSeconds: 3600 } },
        { method: 'GET', path: '/one', price: 1 },
        { method: 'GET', path: '/expensive', price: 500 },
      ],
    });
    const s = await serve(paywall, async (req) => {
      return Response.json({
        path: new URL(req.url).pathname,
        body: req.method === 'POST' ? await req.text() : null,
      });
    });
    base = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await node.close();
  });

  it('pays a 402 and retries the identical request (method, headers, body)', async () => {
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet });
    const res = await pay(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace': 'a' },
      body: '{"q":1}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/echo', body: '{"q":1}' });
    expect(wallet.count).toBe(1);
    const r = await pay.client.receipts();
    expect(r.count).toBe(1);
    expect(r.totalSats).toBe(10);
    expect(r.receipts[0]).toMatchObject({
      host: new URL(base).host,
      method: 'POST',
      path: '/echo',
      amountMsat: '10000',
      status: 'paid',
    });
    expect(r.receipts[0]!.tokenId).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(sha256(Buffer.from(r.receipts[0]!.preimage, 'hex')))).toBe(r.receipts[0]!.paymentHash);
  });

  it('a streamed request body is buffered once and sent twice', async () => {
    const pay = wrapFetch(fetch, { wallet: node });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('chunk-1,'));
        c.enqueue(new TextEncoder().encode('chunk-2'));
        c.close();
      },
    });
    const res = await pay(`${base}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect((await res.json()).body).toBe('chunk-1,chunk-2');
  });

  it('reuses a pass token: one payment for many calls', async () => {
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet });
    for (let i = 0; i < 4; i++) expect((await pay(`${base}/pass`)).status).toBe(200);
    expect(wallet.count).toBe(1);
  });

  it('refuses before paying: per-request cap, host deny-list, approval', async () => {
    const wallet = counting(node);
    expect(
      await code(wrapFetch(fetch, { wallet, budget: { perRequestSats: 100 } })(`${base}/expensive`)),
    ).toBe('BUDGET_EXCEEDED');
    expect(
      await code(
        wrapFetch(fetch, { wallet, budget: { denyHosts: [new URL(base).hostname] } })(`${base}/one`),
      ),
    ).toBe('HOST_NOT_ALLOWED');
    expect(
      await code(wrapFetch(fetch, { wallet, budget: { allowHosts: ['api.example.com'] } })(`${base}/one`)),
    ).toBe('HOST_NOT_ALLOWED');
    const asked: number[] = [];
    const denied = wrapFetch(fetch, {
      wallet,
      approveAboveSats: 100,
      approve: (q) => {
        asked.push(q.amountSats);
        return false;
      },
    });
    expect(await code(denied(`${base}/expensive`))).toBe('APPROVAL_DENIED');
    expect(asked).toEqual([500]);
    expect(wallet.count).toBe(0);
    const approved = wrapFetch(fetch, { wallet, approveAboveSats: 100, approve: () => true });
    expect((await approved(`${base}/expensive`)).status).toBe(200);
    expect(wallet.count).toBe(1);
  });

  it('invoices for another network are refused before paying', async () => {
    const wallet = counting(node);
    expect(await code(wrapFetch(fetch, { wallet, network: 'mainnet' })(`${base}/one`))).toBe(
      'INVALID_CHALLENGE',
    );
    expect(wallet.count).toBe(0);
  });

  it('50 parallel calls under a budget that allows 10 pay for exactly 10', async () => {
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet, budget: { totalSats: 10 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => pay(`${base}/one`)));
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200);
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'BUDGET_EXCEEDED',
    );
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(wallet.count).toBe(10);
    expect((await pay.client.receipts()).totalSats).toBe(10);
    expect((await pay.client.remaining()).totalSats).toBe(0);
  });

  it('budgets persist across restarts with a file store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'farebox-client-'));
    const store = new FileClientStore(join(dir, 'client.json'));
    await wrapFetch(fetch, { wallet: node, store, budget: { totalSats: 2 } })(`${base}/one`);
    const again = wrapFetch(fetch, {
      wallet: node,
      store: new FileClientStore(join(dir, 'client.json')),
      budget: { totalSats: 2 },
    });
    expect((await again(`${base}/one`)).status).toBe(200);
    expect(await code(again(`${base}/one`))).toBe('BUDGET_EXCEEDED');
  });
});

describe('client against other servers in the wild (local servers speaking their header forms)', () => {
  const node = new DevNode({ production: false });
  let keyring = Keyring.fromSecret(new Uint8Array(32).fill(9));
  let base = '';
  let close: () => Promise<void>;
  let advertisedLie = false;
  let alwaysRefuse = false;
  const paidHashes = new Set<string>();

  beforeAll(async () => {
    const s = await listen(async (req) => {
      const url = new URL(req.url);
      const invoice = await node.createInvoice({ amountMsat: sats(7), memo: url.pathname });
      const { macaroon } = mintToken({
        keyring,
        paymentHash: invoice.paymentHash,
        location: 'lsat',
        caveats: ['services=svc:0'],
      });
      const mac = macaroonToBase64(macaroon);
      const auth = req.headers.get('authorization');
      if (url.pathname === '/seed') {
        // The serverless tutorial: JSON body with payment_request/payment_hash; proof = payment_hash in the body.
        const body = (await req.json().catch(() => ({}))) as { payment_hash?: string };
        if (body.payment_hash) {
          const st = await node.lookupInvoice(body.payment_hash).catch(() => undefined);
          if (st?.state === 'settled' && !paidHashes.has(body.payment_hash)) {
            paidHashes.add(body.payment_hash);
            return Response.json({ result: 'seed ok' });
          }
          return Response.json({ error: 'payment not confirmed yet' }, { status: 402 });
        }
        return Response.json(
          {
            status: 'payment_required',
            price_sats: 7,
            payment_request: invoice.paymentRequest,
            payment_hash: invoice.paymentHash,
          },
          {
            status: 402,
            headers: {
              'www-authenticate': `L402 invoice="${invoice.paymentRequest}", payment_hash="${invoice.paymentHash}"`,
            },
          },
        );
      }
      if (auth && !alwaysRefuse) {
        const cred = parseCredential(auth);
        if (cred?.kind === 'token') {
          try {
            verifyToken({
              keyring,
              macaroon: cred.macaroons[0]!,
              preimage: cred.preimage,
              context: { service: 'svc', now: Date.now() / 1000 },
            });
            return Response.json({ ok: url.pathname, scheme: cred.scheme });
          } catch {
            // fall through to a fresh challenge
          }
        }
      }
      const headers = new Headers({ 'content-type': 'application/json' });
      if (url.pathname === '/aperture') {
        // Aperture: two headers, LSAT first, no version/token.
        headers.append('www-authenticate', `LSAT macaroon="${mac}", invoice="${invoice.paymentRequest}"`);
        headers.append('www-authenticate', `L402 macaroon="${mac}", invoice="${invoice.paymentRequest}"`);
      } else if (url.pathname === '/spec') {
        headers.append(
          'www-authenticate',
          `L402 version="0", token="${mac}", invoice="${invoice.paymentRequest}"`,
        );
      } else if (url.pathname === '/lsat-only') {
        headers.append('www-authenticate', `LSAT macaroon=${mac}, invoice=${invoice.paymentRequest}`);
      }
      const body = advertisedLie ? { price_sats: 1, invoice: invoice.paymentRequest } : { price_sats: 7 };
      return new Response(JSON.stringify(body), { status: 402, headers });
    });
    base = s.url;
    close = s.close;
  });
  afterAll(async () => {
    await close();
    await node.close();
  });

  it.each([
    ['/aperture', 'L402'],
    ['/spec', 'L402'],
    ['/lsat-only', 'LSAT'],
  ])('%s: pays and answers in the scheme of the challenge', async (path, scheme) => {
    const res = await wrapFetch(fetch, { wallet: node })(`${base}${path}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: path, scheme });
  });

  it('the seed JSON-body form: pays payment_request, retries with payment_hash in the body', async () => {
    const pay = wrapFetch(fetch, { wallet: node });
    const res = await pay(`${base}/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"Hello"}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'seed ok' });
  });

  it('an invoice that differs from the advertised price is refused before paying', async () => {
    advertisedLie = true;
    try {
      const wallet = counting(node);
      expect(await code(wrapFetch(fetch, { wallet })(`${base}/spec`))).toBe('INVALID_CHALLENGE');
      expect(wallet.count).toBe(0);
    } finally {
      advertisedLie = false;
    }
  });

  it('a server that refuses the paid token: PAID_BUT_REJECTED, receipt kept and marked', async () => {
    alwaysRefuse = true;
    try {
      const pay = wrapFetch(fetch, { wallet: node });
      expect(await code(pay(`${base}/spec`))).toBe('PAID_BUT_REJECTED');
      const r = await pay.client.receipts();
      expect(r.count).toBe(1);
      expect(r.receipts[0]!.status).toBe('rejected');
    } finally {
      alwaysRefuse = false;
    }
  });

  it('a cached token the server refuses is dropped and paid for again once', async () => {
    const wallet = counting(node);
    const pay = wrapFetch(fetch, { wallet });
    expect((await pay(`${base}/spec`)).status).toBe(200);
    expect((await pay(`${base}/spec`)).status).toBe(200);
    expect(wallet.count).toBe(1);
    // The server forgets its secret: the cached token is refused, the client pays once more.
    const before = keyring;
    keyring = Keyring.fromSecret(new Uint8Array(32).fill(3));
    try {
      expect((await pay(`${base}/spec`)).status).toBe(200);
      expect(wallet.count).toBe(2);
      expect((await pay(`${base}/spec`)).status).toBe(200);
      expect(wallet.count).toBe(2);
    } finally {
      keyring = before;
    }
  });
});

describe('crash safety: killed after paying, before the retry', () => {
  const node = new DevNode({ production: false, balanceMsat: sats(100_000) });
  const seller = new DevNode({ production: false });
  let base = '';
  let nodeUrl = '';
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(4),
      lightning: seller,
      routes: [{ method: 'GET', path: '/song', price: 50 }],
    });
    const s = await serve(paywall, async () => Response.json({ song: 'la la' }));
    const n = await listen(devNodeHandler(node, { token: 'wallet-token' }));
    base = s.url;
    nodeUrl = n.url;
    closers.push(s.close, n.close);
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await node.close();
    await seller.close();
  });

  it('the next run reuses the paid token instead of paying again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'farebox-crash-'));
    const storePath = join(dir, 'client.json');
    const child = fileURLToPath(new URL('./support/crash-child.mjs', import.meta.url));
    const out = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
      (resolve) => {
        const p = execFile(
          process.execPath,
          [child, `${base}/song`, nodeUrl, 'wallet-token', storePath],
          (_e, stdout) => {
            resolve({ code: p.exitCode, signal: p.signalCode, stdout });
          },
        );
      },
    );
    expect(out.signal).toBe('SIGKILL');
    expect(out.stdout).toContain('paid; dying before the retry');
    const saved = JSON.parse(await readFile(storePath, 'utf8'));
    expect(saved.tokens).toHaveLength(1);
    expect(saved.receipts).toHaveLength(1);
    const balanceAfterCrash = (await node.getBalance()).balanceMsat;

    const client = new L402Client({ wallet: node, store: new FileClientStore(storePath) });
    const res = await client.fetch(`${base}/song`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ song: 'la la' });
    expect((await node.getBalance()).balanceMsat).toBe(balanceAfterCrash);
    expect((await client.receipts()).count).toBe(1);
    expect(buildCredential).toBeTypeOf('function');
  });
});
