/**
 * The Worker inside workerd (Miniflare), with its Durable Object and KV, against a local
 * LNbits stand-in that mints real signed invoices (dev node, no real money).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeInvoice } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLnbits } from './support/fake-lnbits.js';
import { type RunningWorker, startWorker } from './support/worker.js';

const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const URL_ = '/';
const EXAMPLE = new URL('../.dev.vars.example', import.meta.url);

let lnbits: FakeLnbits;
let w: RunningWorker;
let net = 0;
/** A client address in a network of its own (the free tier counts per /24). */
const freshIp = () => `198.51.${++net}.7`;
/** A client that has had its free answer today. */
let payer = '';

interface Challenge {
  status: number;
  header: string;
  body: { payment_request: string; payment_hash: string; macaroon: string; price_sats: number };
}

function post(body: unknown, o: { ip?: string; auth?: string; isolate?: number; origin?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.auth) headers.authorization = o.auth;
  if (o.origin) headers.origin = o.origin;
  return w.fetch(URL_, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ip: o.ip ?? payer,
    ...(o.isolate !== undefined ? { isolate: o.isolate } : {}),
  });
}

async function challenge(prompt: string): Promise<Challenge> {
  const res = await post({ prompt });
  return {
    status: res.status,
    header: res.headers.get('www-authenticate') ?? '',
    body: (await res.json()) as Challenge['body'],
  };
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  lnbits = await new FakeLnbits().start();
  w = await startWorker({
    bindings: { LNBITS_URL: lnbits.url, LNBITS_KEY: lnbits.invoiceKey, FAREBOX_SECRET: SECRET },
    isolates: 2,
  });
  payer = freshIp();
  expect((await post({ prompt: 'warm-up' })).status).toBe(200); // the payer's free answer
});

afterAll(async () => {
  await w?.dispose();
  await lnbits?.close();
});

describe('the service', () => {
  it('GET / describes the service: name, usage, price', async () => {
    const res = await w.fetch(URL_, { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      service: 'My L402 API',
      usage: 'POST with {"prompt": "your question"}',
      price: '21 sats per request',
      price_sats: 21,
      free_per_day: 1,
    });
  });

  it('answers a CORS preflight, exposing WWW-Authenticate', async () => {
    const res = await w.fetch(URL_, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
  });

  it('400 without a prompt, before any invoice is made', async () => {
    const before = lnbits.calls.length;
    const res = await post({ question: 'no prompt' }, { ip: freshIp() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: 'L402_INVALID_REQUEST',
        data: { fields: { prompt: expect.stringContaining('required') } },
      },
    });
    expect(lnbits.calls.length).toBe(before);
  });

  it('serves one free answer per client IP per day, counted in KV under a hash', async () => {
    const ip = '203.0.113.77';
    const first = await post({ prompt: 'free?' }, { ip, origin: 'https://app.example' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ result: 'This is your paid API response for: free?', free: true });
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    // The other isolate sees the same KV.
    const second = await post({ prompt: 'free?' }, { ip, isolate: 1 });
    expect(second.status).toBe(402);
    // Another address, even in the same /24, has its own free answer.
    const neighbour = await post({ prompt: 'free?' }, { ip: '203.0.113.78' });
    expect(neighbour.status).toBe(200);
    const keys = (await (await w.kv()).list()).keys;
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k.name).toMatch(/^free:[A-Za-z0-9_-]{43}$/);
      expect(k.name).not.toContain('203.0.113');
      // One day from now (KV TTL), give or take the test's own duration.
      expect(k.expiration! - Date.now() / 1000).toBeGreaterThan(86_400 - 120);
      expect(k.expiration! - Date.now() / 1000).toBeLessThanOrEqual(86_400 + 1);
    }
  });

  it('402: an LNbits invoice, an L402 challenge first, and the simple JSON fields', async () => {
    const c = await challenge('what is lightning?');
    expect(c.status).toBe(402);
    expect(c.header).toMatch(/^L402 macaroon="[A-Za-z0-9+/=]+", invoice="lnbcrt210n1/);
    expect(c.header).toMatch(/LSAT macaroon=/);
    expect(c.body.price_sats).toBe(21);
    expect(c.body.payment_hash).toMatch(/^[0-9a-f]{64}$/);
    const inv = decodeInvoice(c.body.payment_request);
    expect(inv.amountMsat).toBe(21_000n);
    expect(inv.paymentHash).toBe(c.body.payment_hash);
    expect(inv.description).toBe('My L402 API: one answer');
    expect(lnbits.calls.filter((x) => x.path === '/api/v1/payments').every((x) => x.key === 'invoice')).toBe(
      true,
    );
  });
});

describe('L402 tokens', () => {
  it('a paid token is served once; a replay pays again', async () => {
    const c = await challenge('token please');
    const preimage = await lnbits.pay(c.body.payment_request);
    const auth = `L402 ${c.body.macaroon}:${preimage}`;
    const before = lnbits.calls.length;
    const paid = await post({ prompt: 'token please' }, { auth, ip: freshIp() });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ result: 'This is your paid API response for: token please' });
    expect(lnbits.calls.length).toBe(before); // verified offline: no LNbits call
    const replay = await post({ prompt: 'token please' }, { auth, isolate: 1 });
    expect(replay.status).toBe(402);
    expect(await errorCode(replay)).toBe('L402_TOKEN_USED');
  });

  it('a token is bound to its request', async () => {
    const c = await challenge('one thing');
    const preimage = await lnbits.pay(c.body.payment_request);
    const res = await post({ prompt: 'another thing' }, { auth: `L402 ${c.body.macaroon}:${preimage}` });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('L402_REQUEST_MISMATCH');
  });

  it('a wrong preimage is refused with a fresh challenge', async () => {
    const c = await challenge('guess');
    const res = await post({ prompt: 'guess' }, { auth: `L402 ${c.body.macaroon}:${'00'.repeat(32)}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^L402 /);
  });

  it('two isolates racing one token: served exactly once (Durable Object counting)', async () => {
    const c = await challenge('race');
    const auth = `L402 ${c.body.macaroon}:${await lnbits.pay(c.body.payment_request)}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post({ prompt: 'race' }, { auth, isolate: i % 2 })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 402 || s === 409)).toBe(true);
  });
});

describe("the seed's simple forms", () => {
  it('payment_hash in the JSON body: 402 until paid, then served once', async () => {
    const c = await challenge('by hash');
    const unpaid = await post({ prompt: 'by hash', payment_hash: c.body.payment_hash });
    expect(unpaid.status).toBe(402);
    expect(await errorCode(unpaid)).toBe('L402_NOT_PAID');
    await lnbits.pay(c.body.payment_request);
    const paid = await post({ prompt: 'by hash', payment_hash: c.body.payment_hash }, { isolate: 1 });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ result: 'This is your paid API response for: by hash' });
    const replay = await post({ prompt: 'by hash', payment_hash: c.body.payment_hash });
    expect(replay.status).toBe(402);
    expect(await errorCode(replay)).toBe('L402_TOKEN_USED');
  });

  it('Authorization: L402 <payment_hash>, served once', async () => {
    const c = await challenge('header hash');
    await lnbits.pay(c.body.payment_request);
    const auth = `L402 ${c.body.payment_hash}`;
    expect((await post({ prompt: 'header hash' }, { auth })).status).toBe(200);
    expect((await post({ prompt: 'header hash' }, { auth, isolate: 1 })).status).toBe(402);
  });

  it('one payment, two proofs: its token and its hash are served once between them, in either order', async () => {
    const a = await challenge('two proofs');
    const tokenA = `L402 ${a.body.macaroon}:${await lnbits.pay(a.body.payment_request)}`;
    expect((await post({ prompt: 'two proofs' }, { auth: tokenA })).status).toBe(200);
    const hashAfter = await post({ prompt: 'two proofs', payment_hash: a.body.payment_hash }, { isolate: 1 });
    expect(hashAfter.status).toBe(402);
    expect(await errorCode(hashAfter)).toBe('L402_TOKEN_USED');

    const b = await challenge('two proofs');
    const tokenB = `L402 ${b.body.macaroon}:${await lnbits.pay(b.body.payment_request)}`;
    expect((await post({ prompt: 'two proofs' }, { auth: `L402 ${b.body.payment_hash}` })).status).toBe(200);
    const tokenAfter = await post({ prompt: 'two proofs' }, { auth: tokenB, isolate: 1 });
    expect(tokenAfter.status).toBe(402);
    expect(await errorCode(tokenAfter)).toBe('L402_TOKEN_USED');
  });

  it('a paid hash is bound to the request it was issued for', async () => {
    const c = await challenge('cheap question');
    await lnbits.pay(c.body.payment_request);
    const res = await post({ prompt: 'expensive question', payment_hash: c.body.payment_hash });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('L402_REQUEST_MISMATCH');
  });

  it('a hash of an invoice this Worker did not issue is refused', async () => {
    const other = await lnbits.node.createInvoice({ amountMsat: 21_000n, memo: 'elsewhere' });
    await lnbits.pay(other.paymentRequest);
    const res = await post({ prompt: 'x', payment_hash: other.paymentHash });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('L402_UNKNOWN_INVOICE');
  });
});

describe('configuration and failures', () => {
  it('503 when LNbits cannot be reached', async () => {
    const { url, server } = await listen(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    const down = await startWorker({
      bindings: { LNBITS_URL: url, LNBITS_KEY: 'k', FAREBOX_SECRET: SECRET },
    });
    try {
      const body = JSON.stringify({ prompt: 'hello' });
      const headers = { 'content-type': 'application/json' };
      await down.fetch(URL_, { method: 'POST', headers, body, ip: '192.0.2.1' }); // free
      const res = await down.fetch(URL_, { method: 'POST', headers, body, ip: '192.0.2.1' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: { code: 'L402_BACKEND_UNAVAILABLE' } });
    } finally {
      await down.dispose();
    }
  });

  it('refuses the LNbits admin key: no invoice is ever made with it', async () => {
    const admin = await startWorker({
      bindings: {
        LNBITS_URL: lnbits.url,
        LNBITS_KEY: lnbits.adminKey,
        FAREBOX_SECRET: SECRET,
        FREE_PER_DAY: '0',
      },
    });
    try {
      const res = await admin.fetch(URL_, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hi' }),
      });
      expect(res.status).toBe(503);
      const adminCalls = lnbits.calls.filter((c) => c.key === 'admin');
      expect(adminCalls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/v1/wallet']);
    } finally {
      await admin.dispose();
    }
  });

  it.each([
    ['missing', undefined],
    [
      'the placeholder of .dev.vars.example',
      /^FAREBOX_SECRET="(.*)"$/m.exec(readFileSync(EXAMPLE, 'utf8'))![1],
    ],
    ['too short', 'ab'.repeat(16)],
    ['one repeated byte', '00'.repeat(32)],
  ])('a bad FAREBOX_SECRET (%s) is named (500), no value shown', async (_what, secret) => {
    const bindings: Record<string, string> = { LNBITS_URL: lnbits.url, LNBITS_KEY: 'sekrit-key' };
    if (secret !== undefined) bindings.FAREBOX_SECRET = secret;
    const bad = await startWorker({ bindings });
    try {
      const res = await bad.fetch(URL_);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'CONFIG_INVALID' } });
      expect(text).toContain('FAREBOX_SECRET');
      expect(text).not.toContain('sekrit');
    } finally {
      await bad.dispose();
    }
  });

  it('FREE_IPV4_PREFIX=24 counts a whole /24 as one client; an out-of-range prefix is named (500)', async () => {
    const wide = await startWorker({
      bindings: {
        LNBITS_URL: lnbits.url,
        LNBITS_KEY: lnbits.invoiceKey,
        FAREBOX_SECRET: SECRET,
        FREE_IPV4_PREFIX: '24',
      },
    });
    const bad = await startWorker({
      bindings: {
        LNBITS_URL: lnbits.url,
        LNBITS_KEY: lnbits.invoiceKey,
        FAREBOX_SECRET: SECRET,
        FREE_IPV4_PREFIX: '33',
      },
    });
    try {
      const ask = (ip: string) =>
        wide.fetch(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'wide' }),
          ip,
        });
      expect((await ask('192.0.2.10')).status).toBe(200);
      expect((await ask('192.0.2.11')).status).toBe(402);
      const res = await bad.fetch(URL_);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'CONFIG_INVALID' } });
      expect(text).toContain('FREE_IPV4_PREFIX');
    } finally {
      await wide.dispose();
      await bad.dispose();
    }
  });

  it('ANSWER=upstream: the upstream answers; when it fails the paid use is given back', async () => {
    let fail = true;
    const up = await listen((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (fail) return res.writeHead(500).end('broken');
        const { prompt } = JSON.parse(body) as { prompt: string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: `upstream says: ${prompt}`, auth: req.headers.authorization }));
      });
    });
    const u = await startWorker({
      bindings: {
        LNBITS_URL: lnbits.url,
        LNBITS_KEY: lnbits.invoiceKey,
        FAREBOX_SECRET: SECRET,
        FREE_PER_DAY: '0',
        ANSWER: 'upstream',
        UPSTREAM_URL: up.url,
        UPSTREAM_AUTHORIZATION: 'Bearer up-token',
      },
    });
    try {
      const init = (auth?: string) => ({
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ prompt: 'ping' }),
      });
      const c = (await (await u.fetch(URL_, init())).json()) as Challenge['body'];
      const auth = `L402 ${c.macaroon}:${await lnbits.pay(c.payment_request)}`;
      const failed = await u.fetch(URL_, init(auth));
      expect(failed.status).toBe(502);
      fail = false;
      const ok = await u.fetch(URL_, init(auth));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ result: 'upstream says: ping' });
      expect((await u.fetch(URL_, init(auth))).status).toBe(402);
    } finally {
      await u.dispose();
      up.server.close();
    }
  });

  it('ANSWER=ai: the AI binding answers', async () => {
    const aiScript = `export default function () {
      return { async run(model, input) { return { response: model + ' answers ' + input.prompt }; } };
    }`;
    const ai = await startWorker({
      bindings: {
        LNBITS_URL: lnbits.url,
        LNBITS_KEY: lnbits.invoiceKey,
        FAREBOX_SECRET: SECRET,
        ANSWER: 'ai',
      },
      aiScript,
    });
    try {
      const res = await ai.fetch(URL_, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hi' }),
        ip: '192.0.2.50',
      });
      expect(await res.json()).toEqual({ result: '@cf/meta/llama-3.1-8b-instruct answers hi', free: true });
    } finally {
      await ai.dispose();
    }
  });
});
