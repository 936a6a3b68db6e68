/**
 * The conformance suite every adapter runs: the same paid-API behaviour over real HTTP.
 * `start` gets paywall options and a web handler and must serve them at a URL.
 */
import { addCaveats, buildCredential, parseChallenges, parseMacaroon } from '@farebox/core';
import { DevNode, type InvoiceIssuer } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaywallOptions, Receipt } from '../src/index.js';

export type Start = (
  opts: PaywallOptions,
  handler: (req: Request, info: { receipt?: Receipt }) => Response | Promise<Response>,
) => Promise<{ url: string; close(): Promise<void> }>;

export interface Paid {
  res: Response;
  authorization: string;
}

export function conformance(name: string, start: Start) {
  describe(`${name}: conformance over real HTTP`, () => {
    const node = new DevNode({ production: false });
    let base = '';
    let close: () => Promise<void> = async () => {};
    let calls = 0;
    let failNext = 0;
    let lightningDown = false;
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
          ],
          cors: true,
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
