/**
 * Per-service limits of the gateway over real HTTP (embedded dev node, memory store, a real
 * node:http upstream): `rateLimit.perIp` and `rateLimit.perToken` (429, Retry-After,
 * L402_RATE_LIMITED), `maxBodyBytes` (413 before any invoice is made), token validity on a
 * pass service (L402_EXPIRED once it lapses) and `capabilities` (a caveat in the macaroon).
 */
import http from 'node:http';
import { buildCredential, ErrorCodes, parseMacaroon } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { buy, challengeOf, devPayer, gatewayFrom, json } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let gw: Gateway;
let up: Upstream;

/** Seconds a short pass lasts: long enough to use it once, short enough to wait out. */
const SHORT_PASS = 3;

beforeAll(async () => {
  up = await startUpstream();
  gw = await gatewayFrom({
    services: [
      {
        name: 'rl-ip',
        path: '/rip/*',
        upstream: up.url,
        price: 10,
        rewrite: { stripPrefix: '/rip' },
        rateLimit: { perIp: { limit: 2, windowSeconds: 60 } },
      },
      {
        name: 'rl-token',
        path: '/rtok/*',
        upstream: up.url,
        price: 10,
        policy: { pass: 3600 },
        rewrite: { stripPrefix: '/rtok' },
        rateLimit: { perToken: { limit: 2, windowSeconds: 60 } },
      },
      {
        name: 'capped',
        path: '/capped/*',
        upstream: up.url,
        price: 10,
        rewrite: { stripPrefix: '/capped' },
        maxBodyBytes: 64,
      },
      {
        // Aperture's shape (`timeout` becomes both): the pass and its token last SHORT_PASS s.
        name: 'short',
        path: '/short/*',
        upstream: up.url,
        price: 5,
        policy: { pass: SHORT_PASS },
        validSeconds: SHORT_PASS,
        rewrite: { stripPrefix: '/short' },
      },
      {
        name: 'caps',
        path: '/caps/*',
        upstream: up.url,
        price: 1,
        capabilities: ['read', 'write'],
        rewrite: { stripPrefix: '/caps' },
      },
      { name: 'plain', path: '/plain/*', upstream: up.url, price: 1, rewrite: { stripPrefix: '/plain' } },
    ],
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop(1000);
  await up?.stop();
});

type ErrorBody = { error: { code: string; message: string } };

/** The gateway's Prometheus text. */
async function metrics(): Promise<string> {
  const r = await fetch(`${gw.url}/metrics`);
  expect(r.status).toBe(200);
  return r.text();
}

/** One counter of the metrics text; 0 when the series does not exist (never incremented). */
function counter(text: string, name: string, labels: string): number {
  const escaped = `${name}{${labels}}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Invoices issued for a service so far. */
async function challenges(service: string): Promise<number> {
  return counter(await metrics(), 'farebox_challenges_total', `service="${service}"`);
}

/** Upstream requests whose URL starts with `prefix`. */
function reached(prefix: string): number {
  return up.seen.filter((s) => s.url.startsWith(prefix)).length;
}

/** The text of each caveat of the macaroon in a 402's challenge. */
function caveatsOf(res: Response): string[] {
  const mac = parseMacaroon(challengeOf(res).macaroon);
  return mac.caveats.map((c) => new TextDecoder().decode(c.id));
}

/** Asserts a 429 rate-limit answer and returns its Retry-After seconds. */
async function expectRateLimited(res: Response, windowSeconds: number): Promise<number> {
  expect(res.status).toBe(429);
  expect(res.headers.get('www-authenticate')).toBeNull(); // a refusal, not a challenge
  const retry = res.headers.get('retry-after');
  expect(retry).toMatch(/^\d+$/);
  const seconds = Number(retry);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(windowSeconds);
  const body = await json<ErrorBody>(res);
  expect(body.error.code).toBe(ErrorCodes.RATE_LIMITED);
  expect(body.error.code).toBe('L402_RATE_LIMITED');
  return seconds;
}

describe('rateLimit.perIp', () => {
  it('answers 429 with Retry-After and L402_RATE_LIMITED past the limit, paid or not, with no invoice', async () => {
    const seenBefore = reached('/echo-ip');
    // 1: unpaid, challenged (an invoice is made).
    const auth = await buy(`${gw.url}/rip/echo-ip`, devPayer(gw));
    // 2: paid, served.
    const ok = await fetch(`${gw.url}/rip/echo-ip`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    expect(reached('/echo-ip')).toBe(seenBefore + 1);
    expect(await challenges('rl-ip')).toBe(1);

    // 3: over the limit of 2 per IP: refused before any challenge, token or not.
    await expectRateLimited(await fetch(`${gw.url}/rip/echo-ip`), 60);
    await expectRateLimited(await fetch(`${gw.url}/rip/other`, { headers: { authorization: auth } }), 60);
    expect(reached('/echo-ip')).toBe(seenBefore + 1); // nothing more reached the upstream
    expect(await challenges('rl-ip')).toBe(1); // no invoice for the refused requests

    const text = await metrics();
    expect(counter(text, 'farebox_refused_total', 'reason="L402_RATE_LIMITED",service="rl-ip"')).toBe(2);
  });

  it('limits each service on its own: another service still challenges this client', async () => {
    const r = await fetch(`${gw.url}/plain/x`);
    expect(r.status).toBe(402);
    expect((await json<ErrorBody>(r)).error.code).toBe(ErrorCodes.PAYMENT_REQUIRED);
  });
});

describe('rateLimit.perToken', () => {
  it('serves a pass token `limit` times per window, then 429 with Retry-After and L402_RATE_LIMITED', async () => {
    const auth = await buy(`${gw.url}/rtok/a`, devPayer(gw));
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${gw.url}/rtok/a`, { headers: { authorization: auth } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    const before = reached('/a');
    await expectRateLimited(await fetch(`${gw.url}/rtok/a`, { headers: { authorization: auth } }), 60);
    expect(reached('/a')).toBe(before);

    // The limit is the token's, not the client's: unpaid requests are still challenged, and
    // another token of the same service is served.
    const unpaid = await fetch(`${gw.url}/rtok/a`);
    expect(unpaid.status).toBe(402);
    await unpaid.arrayBuffer();
    const other = await buy(`${gw.url}/rtok/a`, devPayer(gw));
    const r = await fetch(`${gw.url}/rtok/a`, { headers: { authorization: other } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();

    const text = await metrics();
    expect(counter(text, 'farebox_refused_total', 'reason="L402_RATE_LIMITED",service="rl-token"')).toBe(1);
  });
});

describe('maxBodyBytes', () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/capped/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...headers },
      body,
    });

  /** Metrics of the "capped" service: invoices, refusals for size, sats earned. */
  async function capped() {
    const text = await metrics();
    return {
      challenges: counter(text, 'farebox_challenges_total', 'service="capped"'),
      tooLarge: counter(text, 'farebox_refused_total', 'reason="L402_TOO_LARGE",service="capped"'),
      earned: counter(text, 'farebox_sats_earned_total', 'service="capped"'),
    };
  }

  it('answers 413 L402_TOO_LARGE to a Content-Length over the cap of a per-request service, and charges nothing', async () => {
    const before = await capped();
    const seenBefore = reached('/upload');
    const res = await post(new Uint8Array(65));
    expect(res.status).toBe(413);
    expect(res.headers.get('www-authenticate')).toBeNull(); // no challenge, so no invoice to pay
    expect((await json<ErrorBody>(res)).error.code).toBe(ErrorCodes.TOO_LARGE);
    expect(reached('/upload')).toBe(seenBefore); // never proxied
    const after = await capped();
    expect(after.challenges).toBe(before.challenges); // no invoice issued
    expect(after.tooLarge).toBe(before.tooLarge + 1);
    expect(after.earned).toBe(before.earned);
  });

  it('answers 413 L402_TOO_LARGE to a chunked body (no Content-Length) over the cap, and charges nothing', async () => {
    const before = await capped();
    const seenBefore = reached('/upload');
    // Two 40-byte chunks: the paywall finds out while reading (no length announced).
    const res = await chunkedPost(`${gw.url}/capped/upload`, [Buffer.alloc(40), Buffer.alloc(40)]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe(ErrorCodes.TOO_LARGE);
    expect(reached('/upload')).toBe(seenBefore);
    const after = await capped();
    expect(after.challenges).toBe(before.challenges);
    expect(after.earned).toBe(before.earned);
  });

  it('challenges a body of exactly the cap, and the token then buys that request', async () => {
    const before = await capped();
    const body = new Uint8Array(64).fill(7);
    const res = await post(body);
    expect(res.status).toBe(402);
    expect((await capped()).challenges).toBe(before.challenges + 1);
    const c = challengeOf(res);
    await res.arrayBuffer();
    const paid = await devPayer(gw).payInvoice(c.invoice);
    const auth = buildCredential({ macaroon: c.macaroon, preimage: paid.preimage });
    const ok = await post(body, { authorization: auth });
    expect(ok.status).toBe(200);
    expect((await json<{ bodyBytes: number }>(ok)).bodyBytes).toBe(64);
  });
});

/**
 * A POST sent with `Transfer-Encoding: chunked` (no Content-Length), one chunk per buffer,
 * on its own connection. Rejects when the connection ends without an answer.
 */
function chunkedPost(url: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    });
    req.on('error', (e) => reject(new Error(`no answer to a chunked POST: ${e.message}`)));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('token validity of a pass service', () => {
  it('serves the pass until its valid_until caveat, then refuses it with 401 L402_EXPIRED and a fresh challenge', async () => {
    const first = await fetch(`${gw.url}/short/x`);
    expect(first.status).toBe(402);
    const caveats = caveatsOf(first);
    const until = Number(caveats.find((c) => c.startsWith('short_valid_until='))?.split('=')[1]);
    expect(Number.isInteger(until)).toBe(true);
    // The caveat says SHORT_PASS seconds from the challenge (whole seconds, rounded down).
    expect(until - Date.now() / 1000).toBeLessThanOrEqual(SHORT_PASS);
    const c = challengeOf(first);
    await first.arrayBuffer();
    const paid = await devPayer(gw).payInvoice(c.invoice);
    const auth = buildCredential({ macaroon: c.macaroon, preimage: paid.preimage });

    const ok = await fetch(`${gw.url}/short/x`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();

    // Wait until the gateway's clock (the same host clock) is past valid_until.
    const wait = until * 1000 - Date.now() + 250;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    const seenBefore = reached('/x');
    const late = await fetch(`${gw.url}/short/x`, { headers: { authorization: auth } });
    expect(late.status).toBe(401);
    expect((await json<ErrorBody>(late)).error.code).toBe(ErrorCodes.EXPIRED);
    expect(late.headers.get('www-authenticate')).toMatch(/^L402 macaroon="/); // pay again
    expect(reached('/x')).toBe(seenBefore);
    const text = await metrics();
    expect(counter(text, 'farebox_refused_total', 'reason="L402_EXPIRED",service="short"')).toBe(1);
  });
});

describe('capabilities', () => {
  it('puts <service>_capabilities into the issued macaroon, and the token works', async () => {
    const res = await fetch(`${gw.url}/caps/doc`);
    expect(res.status).toBe(402);
    const caveats = caveatsOf(res);
    expect(caveats).toContain('caps_capabilities=read,write');
    expect(caveats).toContain('services=caps:0');
    await res.arrayBuffer();
    const auth = await buy(`${gw.url}/caps/doc`, devPayer(gw));
    const ok = await fetch(`${gw.url}/caps/doc`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it('a service without capabilities issues no capabilities caveat', async () => {
    const res = await fetch(`${gw.url}/plain/doc`);
    expect(res.status).toBe(402);
    const caveats = caveatsOf(res);
    expect(caveats.some((c) => c.includes('_capabilities='))).toBe(false);
    expect(caveats).toContain('services=plain:0');
    await res.arrayBuffer();
  });
});
