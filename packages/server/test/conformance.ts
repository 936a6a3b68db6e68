/**
 * The conformance suite every adapter runs: the same paid-API behaviour over real HTTP.
 * `start` gets paywall options and a web handler and must serve them at a URL.
 */
import { addCaveats, buildCredential, parseChallenges, parseMacaroon } from '@farebox/core';
import { DevNode, type InvoiceIssuer } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PaywallEvents, PaywallOptions, Receipt } from '../src/index.js';

export type Start = (
  opts: PaywallOptions,
  handler: (req: Request, info: { receipt?: Receipt }) => Response | Promise<Response>,
) => Promise<{ url: string; close(): Promise<void> }>;

export interface Paid {
  res: Response;
  authorization: string;
}

/** One call of a `PaywallOptions.events` hook, as recorded by the suite. */
type Event = {
  [K in keyof PaywallEvents]-?: { name: K; e: Parameters<NonNullable<PaywallEvents[K]>>[0] };
}[keyof PaywallEvents];

export function conformance(name: string, start: Start) {
  describe(`${name}: conformance over real HTTP`, () => {
    const node = new DevNode({ production: false });
    let base = '';
    let close: () => Promise<void> = async () => {};
    let calls = 0;
    let failNext = 0;
    let lightningDown = false;
    const events: Event[] = [];
    /** The events of one route (`METHOD /path`) recorded from index `from` on. */
    const eventsOf = (route: string, from = 0) => events.slice(from).filter((x) => x.e.route === route);
    const lightning: InvoiceIssuer = {
      backend: 'dev',
      createInvoice: (r) =>
        lightningDown
          ? Promise.reject(Object.assign(new Error('down'), { code: 'LN_UNREACHABLE' }))
          : node.createInvoice(r),
      lookupInvoice: (h) => node.lookupInvoice(h),
      waitForInvoice: (h, o) => node.waitForInvoice(h, o),
      getInfo: () => node.getInfo(),
    };

    beforeAll(async () => {
      const s = await start(
        {
          secret: new Uint8Array(32).fill(7),
          lightning,
          routes: [
            {
              method: 'POST',
              path: '/api/music',
              price: 21,
              validate: (b) =>
                b && typeof (b as { prompt?: unknown }).prompt === 'string'
                  ? undefined
                  : { prompt: 'required' },
            },
            { method: 'GET', path: '/pass', price: 5, policy: { type: 'pass', validSeconds: 3600 } },
            { method: 'GET', path: '/credits', price: 5, policy: { type: 'credits', uses: 3 } },
            { method: 'GET', path: '/free', free: true },
            { method: 'GET', path: '/freebie', price: 1, freePerDay: 1 },
            { method: 'GET', path: '/flaky', price: 2 },
            { method: 'GET', path: '/slow', price: 2 },
            {
              method: 'GET',
              path: '/limited',
              price: 1,
              rateLimit: { perIp: { limit: 2, windowSeconds: 60 } },
            },
            {
              method: 'GET',
              path: '/metered',
              price: 1,
              policy: { type: 'pass', validSeconds: 3600 },
              rateLimit: { perToken: { limit: 2, windowSeconds: 60 } },
            },
            { method: 'GET', path: '/evented', price: 3 },
          ],
          cors: true,
          // The client IP for free tiers and per-IP limits: the last X-Forwarded-For entry, the
          // one way every adapter here takes (each sees the socket 127.0.0.1, or no socket).
          trustProxy: true,
          events: {
            challenge: (e) => void events.push({ name: 'challenge', e }),
            paid: (e) => void events.push({ name: 'paid', e }),
            served: (e) => void events.push({ name: 'served', e }),
            refused: (e) => void events.push({ name: 'refused', e }),
          },
        },
        async (req, info) => {
          calls++;
          const path = new URL(req.url).pathname;
          if (path === '/flaky' && failNext > 0) {
            failNext--;
            return new Response('upstream broke', { status: 502 });
          }
          if (path === '/slow') await new Promise((r) => setTimeout(r, 300));
          const body = req.method === 'POST' ? await req.text() : '';
          return Response.json({ ok: true, path, body, paid: info.receipt?.amountMsat?.toString() ?? null });
        },
      );
      base = s.url;
      close = s.close;
    });
    afterAll(async () => {
      await close();
      await node.close();
    });

    async function pay(res: Response): Promise<string> {
      const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
      if (!c) throw new Error(`no challenge in ${res.status}`);
      const paid = await node.payInvoice(c.invoice);
      return buildCredential({ macaroon: c.macaroon, preimage: paid.preimage });
    }

    const music = (auth?: string, body = '{"prompt":"summer song","n":1}') =>
      fetch(`${base}/api/music`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body,
      });

    it('unpaid: 402 with L402 then LSAT challenges, no-store, and the JSON body', async () => {
      const res = await music();
      expect(res.status).toBe(402);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const www = res.headers.get('www-authenticate') ?? '';
      expect(www).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt[^"]+", version="0", token="[^"]+"/);
      expect(parseChallenges(www).map((c) => c.scheme)).toEqual(['L402', 'LSAT']);
      const j = await res.json();
      expect(j.error.code).toBe('L402_PAYMENT_REQUIRED');
      expect(j.price_sats).toBe(21);
      expect(j).toHaveProperty('invoice');
      expect(j).toHaveProperty('payment_hash');
      expect(j).toHaveProperty('macaroon');
      expect(j).toHaveProperty('expires_at');
      expect(j).toHaveProperty('description');
      expect(j).toHaveProperty('instructions');
    });

    it('paid: the identical request with a real preimage is served once, and a replay is refused with a fresh challenge', async () => {
      const auth = await pay(await music());
      const before = calls;
      const ok = await music(auth);
      expect(ok.status).toBe(200);
      expect((await ok.json()).paid).toBe('21000');
      expect(calls).toBe(before + 1);
      const replay = await music(auth);
      expect(replay.status).toBe(402);
      expect((await replay.json()).error.code).toBe('L402_TOKEN_USED');
      expect(replay.headers.get('www-authenticate')).toMatch(/^L402 /);
    });

    it('reformatted JSON is the same request; another body is refused (401 REQUEST_MISMATCH)', async () => {
      const auth = await pay(await music());
      const other = await music(auth, '{"prompt":"winter song","n":1}');
      expect(other.status).toBe(401);
      expect((await other.json()).error.code).toBe('L402_REQUEST_MISMATCH');
      const same = await music(auth, '{ "n": 1,  "prompt": "summer song" }');
      expect(same.status).toBe(200);
    });

    it('tampered, forged and wrong-preimage tokens: 401 with a code, never 500', async () => {
      const res = await music();
      const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
      const paid = await node.payInvoice(c!.invoice);
      const widened = addCaveats(parseMacaroon(c!.macaroon), ['farebox_uses=5']);
      const cases: [string, string][] = [
        [buildCredential({ macaroon: c!.macaroon, preimage: '00'.repeat(32) }), 'L402_WRONG_PREIMAGE'],
        [buildCredential({ macaroon: widened, preimage: paid.preimage }), 'L402_CAVEAT_WIDENED'],
        [`L402 ${c!.macaroon.slice(0, -8)}AAAAAAA=:${paid.preimage}`, ''],
        ['L402 ###:zz', ''],
        ['LSAT', 'L402_MALFORMED_HEADER'],
        [`L402 ${'A'.repeat(15000)}:${paid.preimage}`, 'L402_TOO_LARGE'],
      ];
      for (const [auth, code] of cases) {
        const r = await music(auth);
        expect(r.status).toBe(401);
        const j = await r.json();
        if (code) expect(j.error.code).toBe(code);
        else expect(j.error.code).toMatch(/^L402_/);
        expect(r.headers.get('www-authenticate')).toMatch(/^L402 /);
      }
    });

    it('validate before you charge: invalid body → 400 with field errors and no invoice', async () => {
      const r = await music(undefined, '{"nope":1}');
      expect(r.status).toBe(400);
      const j = await r.json();
      expect(j.error.code).toBe('L402_INVALID_REQUEST');
      expect(j.error.data.fields).toEqual({ prompt: 'required' });
      expect(r.headers.get('www-authenticate')).toBeNull();
    });

    it('a failing handler burns nothing: the same token works on retry', async () => {
      const first = await fetch(`${base}/flaky`);
      const auth = await pay(first);
      failNext = 1;
      const broken = await fetch(`${base}/flaky`, { headers: { authorization: auth } });
      expect(broken.status).toBe(502);
      const retry = await fetch(`${base}/flaky`, { headers: { authorization: auth } });
      expect(retry.status).toBe(200);
      expect((await fetch(`${base}/flaky`, { headers: { authorization: auth } })).status).toBe(402);
    });

    it('concurrent double-spend of a single-use token: exactly one is served', async () => {
      const auth = await pay(await fetch(`${base}/slow`));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${base}/slow`, { headers: { authorization: auth } })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.every((s) => s === 200 || s === 409 || s === 402)).toBe(true);
    });

    it('pass policy: many calls with one token; credits policy: exactly N', async () => {
      const pass = await pay(await fetch(`${base}/pass`));
      for (let i = 0; i < 4; i++)
        expect((await fetch(`${base}/pass`, { headers: { authorization: pass } })).status).toBe(200);
      const credits = await pay(await fetch(`${base}/credits`));
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await fetch(`${base}/credits`, { headers: { authorization: credits } })).status);
      expect(statuses).toEqual([200, 200, 200, 402]);
    });

    it('a token for one route is refused on another (services caveat)', async () => {
      const pass = await pay(await fetch(`${base}/pass`));
      const r = await fetch(`${base}/credits`, { headers: { authorization: pass } });
      expect(r.status).toBe(401);
      expect((await r.json()).error.code).toBe('L402_WRONG_SERVICE');
    });

    it('free routes and the free tier (one free call, then 402)', async () => {
      expect((await fetch(`${base}/free`)).status).toBe(200);
      expect((await fetch(`${base}/freebie`)).status).toBe(200);
      expect((await fetch(`${base}/freebie`)).status).toBe(402);
    });

    it('Lightning down: 503 with Retry-After for new challenges, paid tokens keep working', async () => {
      const auth = await pay(await fetch(`${base}/pass`));
      lightningDown = true;
      try {
        const r = await fetch(`${base}/pass`);
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBeTruthy();
        expect((await r.json()).error.code).toBe('L402_BACKEND_UNAVAILABLE');
        expect((await fetch(`${base}/pass`, { headers: { authorization: auth } })).status).toBe(200);
      } finally {
        lightningDown = false;
      }
    });

    /** A GET from a client at `ip` (as the trusted proxy reports it in X-Forwarded-For). */
    const from = (path: string, ip: string, auth?: string) =>
      fetch(`${base}${path}`, {
        headers: { 'x-forwarded-for': ip, ...(auth ? { authorization: auth } : {}) },
      });

    async function expectRateLimited(r: Response) {
      expect(r.status).toBe(429);
      const retry = Number(r.headers.get('retry-after'));
      expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
      expect((await r.json()).error.code).toBe('L402_RATE_LIMITED');
      expect(r.headers.get('www-authenticate')).toBeNull();
    }

    it('rate limit per IP: the third request from one /24 is 429 with Retry-After; another /24 is unaffected', async () => {
      const mark = events.length;
      expect((await from('/limited', '192.0.2.10')).status).toBe(402);
      expect((await from('/limited', '192.0.2.10')).status).toBe(402);
      await expectRateLimited(await from('/limited', '192.0.2.10'));
      // Another address of the same /24 shares the bucket; another /24 has its own.
      await expectRateLimited(await from('/limited', '192.0.2.200'));
      expect((await from('/limited', '192.0.3.10')).status).toBe(402);
      expect((await from('/limited', '192.0.3.10')).status).toBe(402);
      await expectRateLimited(await from('/limited', '192.0.3.10'));
      const refused = eventsOf('GET /limited', mark).filter((x) => x.name === 'refused');
      expect(refused.map((x) => x.e)).toEqual(
        Array(3).fill({ route: 'GET /limited', code: 'L402_RATE_LIMITED', status: 429 }),
      );
    });

    it('rate limit per token on a pass route: the third call with one token is 429; another token is unaffected', async () => {
      const ip = '192.0.2.77';
      const first = await pay(await from('/metered', ip));
      const second = await pay(await from('/metered', ip));
      expect((await from('/metered', ip, first)).status).toBe(200);
      expect((await from('/metered', ip, first)).status).toBe(200);
      await expectRateLimited(await from('/metered', ip, first));
      expect((await from('/metered', ip, second)).status).toBe(200);
      expect((await from('/metered', ip, second)).status).toBe(200);
    });

    it('free tier buckets: IPv4 by /24 (the last X-Forwarded-For entry counts)', async () => {
      expect((await from('/freebie', '203.0.113.7')).status).toBe(200);
      expect((await from('/freebie', '203.0.113.250')).status).toBe(402); // same /24: shared
      expect((await from('/freebie', '203.0.114.7')).status).toBe(200); // another /24: its own
      // Entries before the proxy's own are the client's to forge: they do not pick the bucket.
      expect((await from('/freebie', '198.51.100.1, 203.0.114.9')).status).toBe(402);
    });

    it('free tier buckets: IPv6 by /48', async () => {
      expect((await from('/freebie', '2001:db8:aa:1::1')).status).toBe(200);
      expect((await from('/freebie', '2001:db8:aa:ffff::2')).status).toBe(402); // same /48
      expect((await from('/freebie', '2001:0db8:00AA:7:0:0:0:9')).status).toBe(402); // same /48, spelled out
      expect((await from('/freebie', '2001:db8:ab::1')).status).toBe(200); // another /48
    });

    it('payment-hash mode is off by default: a bare hash in Authorization is 401 PAYMENT_HASH_NOT_ACCEPTED with a fresh challenge', async () => {
      // A real, settled invoice of this server: its hash alone still buys nothing.
      const { invoice, payment_hash: hash } = (await (await music()).json()) as Record<string, string>;
      await node.payInvoice(invoice!);
      const before = calls;
      for (const auth of [`L402 ${hash}`, `LSAT ${hash!.toUpperCase()}`]) {
        const r = await music(auth);
        expect(r.status).toBe(401);
        const j = await r.json();
        expect(j.error.code).toBe('L402_PAYMENT_HASH_NOT_ACCEPTED');
        expect(j.payment_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(j.payment_hash).not.toBe(hash);
        expect(r.headers.get('www-authenticate')).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt/);
      }
      expect(calls).toBe(before);
    });

    // With the mode off, a `payment_hash` field is an ordinary part of the body (APIs may have
    // one of their own): it proves nothing, and the call is challenged as unpaid.
    it('payment-hash mode is off by default: payment_hash in the JSON body proves nothing (402 with a fresh challenge)', async () => {
      const { invoice, payment_hash: hash } = (await (await music()).json()) as Record<string, string>;
      await node.payInvoice(invoice!);
      const before = calls;
      const r = await music(undefined, JSON.stringify({ prompt: 'summer song', n: 1, payment_hash: hash }));
      const j = await r.json();
      expect(calls).toBe(before);
      expect(r.headers.get('www-authenticate')).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt/);
      expect(j.payment_hash).not.toBe(hash);
      expect([r.status, j.error.code]).toEqual([402, 'L402_PAYMENT_REQUIRED']);
    });

    it('events: challenge, paid and served for one paid call, with the route and the receipt', async () => {
      const mark = events.length;
      const res = await fetch(`${base}/evented`);
      const challenge = await res.clone().json();
      const auth = await pay(res);
      expect((await fetch(`${base}/evented`, { headers: { authorization: auth } })).status).toBe(200);
      // Some adapters settle when the response has finished: the served event may trail it.
      await vi.waitFor(() => expect(eventsOf('GET /evented', mark).map((x) => x.name)).toContain('served'));
      const got = eventsOf('GET /evented', mark);
      expect(got.map((x) => x.name)).toEqual(['challenge', 'paid', 'served']);
      const [c, p, s] = got.map((x) => x.e) as [
        Parameters<NonNullable<PaywallEvents['challenge']>>[0],
        Parameters<NonNullable<PaywallEvents['paid']>>[0],
        Parameters<NonNullable<PaywallEvents['served']>>[0],
      ];
      expect(c).toEqual({
        route: 'GET /evented',
        paymentHash: challenge.payment_hash,
        amountMsat: 3000n,
        tokenId: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const receipt = {
        tokenId: c.tokenId,
        paymentHash: challenge.payment_hash,
        amountMsat: 3000n,
        route: 'GET /evented',
        service: 'evented',
        time: expect.any(Number),
      };
      // `use` is known once the handler succeeded: on `served`, not yet when `paid` is emitted.
      expect(p).toEqual({ route: 'GET /evented', receipt: expect.objectContaining(receipt) });
      expect(s).toEqual({ route: 'GET /evented', receipt: { ...receipt, use: 1 }, status: 200 });
    });

    it('events: a refused credential emits refused with its code (wrong preimage, then a replayed token)', async () => {
      const res = await fetch(`${base}/evented`);
      const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
      let mark = events.length;
      const wrong = buildCredential({ macaroon: c!.macaroon, preimage: '00'.repeat(32) });
      expect((await fetch(`${base}/evented`, { headers: { authorization: wrong } })).status).toBe(401);
      expect(
        eventsOf('GET /evented', mark)
          .filter((x) => x.name === 'refused')
          .map((x) => x.e),
      ).toEqual([{ route: 'GET /evented', code: 'L402_WRONG_PREIMAGE', status: 401 }]);

      const auth = await pay(res);
      expect((await fetch(`${base}/evented`, { headers: { authorization: auth } })).status).toBe(200);
      await vi.waitFor(() => expect(eventsOf('GET /evented', mark).map((x) => x.name)).toContain('served'));
      mark = events.length;
      const replay = await fetch(`${base}/evented`, { headers: { authorization: auth } });
      expect(replay.status).toBe(402);
      expect((await replay.json()).error.code).toBe('L402_TOKEN_USED');
      await new Promise((r) => setTimeout(r, 50));
      const got = eventsOf('GET /evented', mark);
      expect(got.map((x) => x.name)).not.toContain('paid');
      expect(got.map((x) => x.name)).not.toContain('served');
      expect(got.filter((x) => x.name === 'refused').map((x) => x.e)).toEqual([
        { route: 'GET /evented', code: 'L402_TOKEN_USED', status: 402 },
      ]);
    });

    it('CORS: preflight answered, WWW-Authenticate exposed', async () => {
      const pre = await fetch(`${base}/api/music`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      const r = await fetch(`${base}/pass`, { headers: { origin: 'https://app.example' } });
      expect(r.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
    });
  });
}
