/**
 * The gateway end to end over real HTTP: `startGateway` with the embedded dev node in
 * front of real node:http upstreams. Payments go through the dev wallet the gateway
 * advertises (`x-farebox-dev-wallet`) or its dev node directly; no real money.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { DevPayWallet, L402Client } from '@farebox/client';
import { buildCredential } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Gateway } from '../src/index.js';
import {
  buy,
  challengeOf,
  devPayer,
  gatewayFrom,
  headerLines,
  json,
  memoryLogger,
  raw,
} from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let gw: Gateway;
let up: Upstream;
let upA: Upstream;
let upB: Upstream;
let flaky: Upstream;
const logger = memoryLogger();

type Echo = { method: string; url: string; headers: Record<string, string>; bodyBytes: number };

beforeAll(async () => {
  up = await startUpstream();
  upA = await startUpstream();
  upB = await startUpstream();
  flaky = await startUpstream();
  gw = await gatewayFrom(
    {
      title: 'test gateway',
      services: [
        { name: 'host-a', hosts: ['a.test'], path: '/*', upstream: upA.url, price: 0, auth: 'off' },
        { name: 'host-b', hosts: ['~^b\\.test$'], path: '/*', upstream: upB.url, price: 0, auth: 'off' },
        { name: 'public', path: '/public/*', upstream: up.url, auth: 'off' },
        {
          name: 'moved',
          path: '/old/*',
          upstream: `${up.url}/base/`,
          auth: 'off',
          rewrite: { from: '^/old/(?<rest>.*)$', to: '/new/$<rest>' },
        },
        {
          name: 'paid',
          path: '/api/*',
          upstream: up.url,
          price: 10,
          rewrite: { stripPrefix: '/api' },
          headers: { 'x-api-key': { env: 'UPSTREAM_KEY' }, 'x-static': 'static-value' },
          freePaths: ['^/api/free/'],
          description: 'The paid API',
        },
        { name: 'regex', path: '~^/re/(?<id>\\d+)$', upstream: up.url, price: 2 },
        { name: 'cred', path: '/cred/*', upstream: up.url, price: 3, forwardCredential: true },
        { name: 'freebie', path: '/freebie/*', upstream: up.url, price: 4, auth: 'freebie 2' },
        {
          name: 'pass',
          path: '/pass/*',
          upstream: up.url,
          price: 7,
          policy: { pass: 3600 },
          rewrite: { stripPrefix: '/pass' },
        },
        {
          name: 'slow',
          path: '/slow/*',
          upstream: up.url,
          price: 5,
          timeoutSeconds: 0.5,
          rewrite: { stripPrefix: '/slow' },
        },
        {
          name: 'flaky',
          path: '/flaky/*',
          upstream: flaky.url,
          price: 6,
          rewrite: { stripPrefix: '/flaky' },
        },
        { name: 'ws', path: '/ws/*', upstream: up.url, price: 8, rewrite: { stripPrefix: '/ws' } },
      ],
    },
    { env: { UPSTREAM_KEY: 'k-123' }, logger },
  );
});

afterAll(async () => {
  await gw?.stop(1000);
  for (const u of [up, upA, upB, flaky]) await u?.stop().catch(() => {});
});

describe('paying', () => {
  it('answers an unpaid request with 402, an L402 and an LSAT challenge, and the dev wallet', async () => {
    const a = await raw(`${gw.url}/api/echo`);
    expect(a.status).toBe(402);
    const www = headerLines(a, 'www-authenticate');
    expect(www).toHaveLength(2);
    expect(www[0]).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt100n1[^"]+"/);
    expect(www[1]).toMatch(/^LSAT macaroon="[^"]+", invoice="lnbcrt100n1[^"]+"/);
    expect(a.headers['x-farebox-dev-wallet']).toBe('/.well-known/l402/dev-pay');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f]{16}$/);
    const body = JSON.parse(a.body) as Record<string, unknown>;
    expect(body).toMatchObject({ price_sats: 10, error: { code: 'L402_PAYMENT_REQUIRED' } });
    expect(body.description).toBe('The paid API');
    expect(up.seen.some((s) => s.url === '/echo')).toBe(false); // nothing reached the upstream
  });

  it('serves a paid request (L402Client paying through the advertised dev wallet) with the upstream body', async () => {
    const res0 = await fetch(`${gw.url}/api/echo?x=1`);
    const walletUrl = new URL(res0.headers.get('x-farebox-dev-wallet')!, gw.url).href;
    await res0.arrayBuffer();
    const client = new L402Client({ wallet: new DevPayWallet(walletUrl), budget: { perRequestSats: 20 } });
    const res = await client.fetch(`${gw.url}/api/echo?x=1`);
    expect(res.status).toBe(200);
    const echo = await json<Echo>(res);
    expect(echo.url).toBe('/echo?x=1'); // prefix stripped, query kept
    expect(echo.headers['x-api-key']).toBe('k-123'); // from the environment
    expect(echo.headers['x-static']).toBe('static-value');
    expect(echo.headers.authorization).toBeUndefined(); // the credential stays at the gateway
    expect(res.headers.get('x-upstream')).toBe('yes');
  });

  it('refuses a replay of a single-use token with 402 and serves nothing', async () => {
    const auth = await buy(`${gw.url}/api/echo`, devPayer(gw));
    const first = await fetch(`${gw.url}/api/echo`, { headers: { authorization: auth } });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const seen = up.seen.length;
    const replay = await fetch(`${gw.url}/api/echo`, { headers: { authorization: auth } });
    expect(replay.status).toBe(402);
    expect((await json<{ error: { code: string } }>(replay)).error.code).toBe('L402_TOKEN_USED');
    challengeOf(replay); // with a fresh challenge to pay
    expect(up.seen.length).toBe(seen);
  });

  it('answers a tampered token with 401 and a fresh challenge', async () => {
    const auth = await buy(`${gw.url}/api/echo`, devPayer(gw));
    const [mac, pre] = auth.slice('L402 '.length).split(':') as [string, string];
    // A wrong preimage.
    const wrong = buildCredential({ macaroon: mac, preimage: randomBytes(32) });
    const r1 = await fetch(`${gw.url}/api/echo`, { headers: { authorization: wrong } });
    expect(r1.status).toBe(401);
    challengeOf(r1);
    await r1.arrayBuffer();
    // A macaroon with one character changed in its middle.
    const i = Math.floor(mac.length / 2);
    const flipped = `${mac.slice(0, i)}${mac[i] === 'A' ? 'B' : 'A'}${mac.slice(i + 1)}`;
    const r2 = await fetch(`${gw.url}/api/echo`, { headers: { authorization: `L402 ${flipped}:${pre}` } });
    expect(r2.status).toBe(401);
    await r2.arrayBuffer();
    // The token paid for another request (per-request binding).
    const r3 = await fetch(`${gw.url}/api/other`, { headers: { authorization: auth } });
    expect(r3.status).toBe(401);
    await r3.arrayBuffer();
    // The genuine token was not burned by any of these.
    const ok = await fetch(`${gw.url}/api/echo`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it('answers 502 when the upstream is down, and the token works once it is back', async () => {
    const auth = await buy(`${gw.url}/flaky/echo`, devPayer(gw));
    await flaky.stop();
    const down = await fetch(`${gw.url}/flaky/echo`, { headers: { authorization: auth } });
    expect(down.status).toBe(502);
    expect((await json<{ error: { code: string; message: string } }>(down)).error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('not charged'),
    });
    await flaky.start();
    const back = await fetch(`${gw.url}/flaky/echo`, { headers: { authorization: auth } });
    expect(back.status).toBe(200);
    expect((await json<Echo>(back)).url).toBe('/echo');
    const again = await fetch(`${gw.url}/flaky/echo`, { headers: { authorization: auth } });
    expect(again.status).toBe(402); // spent now
    await again.arrayBuffer();
  });

  it('answers 504 when the upstream is slower than timeoutSeconds, and the token is not burned', async () => {
    const auth = await buy(`${gw.url}/slow/hold/t504`, devPayer(gw));
    const slow = await fetch(`${gw.url}/slow/hold/t504`, { headers: { authorization: auth } });
    expect(slow.status).toBe(504);
    expect((await json<{ error: { code: string } }>(slow)).error.code).toBe('UPSTREAM_TIMEOUT');
    up.release('t504');
    const ok = await fetch(`${gw.url}/slow/hold/t504`, { headers: { authorization: auth } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ held: 't504', released: true });
  });

  it('passes an upstream 4xx through and counts the use (only 5xx release it)', async () => {
    const auth = await buy(`${gw.url}/api/status/404`, devPayer(gw));
    const r = await fetch(`${gw.url}/api/status/404`, { headers: { authorization: auth } });
    expect(r.status).toBe(404);
    await r.arrayBuffer();
    const again = await fetch(`${gw.url}/api/status/404`, { headers: { authorization: auth } });
    expect(again.status).toBe(402);
    await again.arrayBuffer();
  });

  it('releases the token on an upstream 5xx', async () => {
    const auth = await buy(`${gw.url}/api/status/503`, devPayer(gw));
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${gw.url}/api/status/503`, { headers: { authorization: auth } });
      expect(r.status).toBe(503);
      await r.arrayBuffer();
    }
  });

  it('binds a per-request token to the body of a POST', async () => {
    const body = JSON.stringify({ q: 'hello' });
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    const auth = await buy(`${gw.url}/api/echo`, devPayer(gw), init);
    const other = await fetch(`${gw.url}/api/echo`, {
      ...init,
      headers: { ...init.headers, authorization: auth },
      body: JSON.stringify({ q: 'other' }),
    });
    expect(other.status).toBe(401);
    await other.arrayBuffer();
    const ok = await fetch(`${gw.url}/api/echo`, {
      ...init,
      headers: { ...init.headers, authorization: auth },
    });
    expect(ok.status).toBe(200);
    const echo = await json<Echo>(ok);
    expect(echo.method).toBe('POST');
    expect(echo.bodyBytes).toBe(Buffer.byteLength(body));
  });

  it('lets a pass be used many times until it expires', async () => {
    const auth = await buy(`${gw.url}/pass/one`, devPayer(gw));
    for (const p of ['/pass/one', '/pass/two', '/pass/three?x=1']) {
      const r = await fetch(`${gw.url}${p}`, { headers: { authorization: auth } });
      expect(r.status).toBe(200);
      expect((await json<Echo>(r)).url).toBe(p.slice('/pass'.length));
    }
  });
});

describe('routing and access', () => {
  it('serves free paths of a paid service without payment', async () => {
    const r = await fetch(`${gw.url}/api/free/info`);
    expect(r.status).toBe(200);
    expect((await json<Echo>(r)).url).toBe('/free/info');
  });

  it('serves an auth: off service without payment', async () => {
    const r = await fetch(`${gw.url}/public/hello`);
    expect(r.status).toBe(200);
    expect((await json<Echo>(r)).url).toBe('/public/hello'); // no rewrite configured
  });

  it('rewrites the path with a regular expression, under the upstream base path', async () => {
    const r = await fetch(`${gw.url}/old/a/b?q=1`);
    expect(r.status).toBe(200);
    expect((await json<Echo>(r)).url).toBe('/base/new/a/b?q=1');
  });

  it('gives "freebie 2" two free calls, then asks for payment', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${gw.url}/freebie/x`);
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 402]);
  });

  it('matches a path regular expression (Aperture pathregexp style)', async () => {
    const unpaid = await fetch(`${gw.url}/re/42`);
    expect(unpaid.status).toBe(402);
    await unpaid.arrayBuffer();
    const auth = await buy(`${gw.url}/re/42`, devPayer(gw));
    const r = await fetch(`${gw.url}/re/42`, { headers: { authorization: auth } });
    expect(r.status).toBe(200);
    expect((await json<Echo>(r)).url).toBe('/re/42');
    const none = await fetch(`${gw.url}/re/abc`);
    expect(none.status).toBe(404);
    expect((await json<{ error: { code: string } }>(none)).error.code).toBe('NO_SERVICE');
  });

  it('routes by Host: two services on two hosts', async () => {
    const a = await raw(`${gw.url}/who`, { headers: { host: 'a.test' } });
    const b = await raw(`${gw.url}/who`, { headers: { host: 'b.test:8080' } });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(upA.seen.at(-1)?.url).toBe('/who');
    expect(upB.seen.at(-1)?.url).toBe('/who');
    expect(JSON.parse(a.body).headers['x-forwarded-host']).toBe('a.test');
    expect(JSON.parse(b.body).headers['x-forwarded-host']).toBe('b.test:8080');
    // The upstream sees its own host name.
    expect(JSON.parse(a.body).headers.host).toBe(new URL(upA.url).host);
    const c = await raw(`${gw.url}/who`, { headers: { host: 'c.test' } });
    expect(c.status).toBe(404);
  });

  it('answers 404 NO_SERVICE for a path no service matches', async () => {
    const r = await fetch(`${gw.url}/nowhere`);
    expect(r.status).toBe(404);
    expect((await json<{ error: { code: string } }>(r)).error.code).toBe('NO_SERVICE');
  });
});

describe('headers', () => {
  it('sets X-Forwarded-For, -Proto, -Host and a request id', async () => {
    const a = await raw(`${gw.url}/public/fwd`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-abc' },
    });
    const h = (JSON.parse(a.body) as Echo).headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(h['x-request-id']).toBe('req-abc');
    expect(a.headers['x-request-id']).toBe('req-abc');
  });

  it('drops hop-by-hop headers both ways (RFC 9110 §7.6.1)', async () => {
    const a = await raw(`${gw.url}/public/hop`, {
      headers: {
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': 'secret',
        'keep-alive': 'timeout=99',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-end-to-end': 'kept',
      },
    });
    expect(a.status).toBe(200);
    const h = (JSON.parse(a.body) as Echo).headers;
    expect(h['x-end-to-end']).toBe('kept');
    expect(h['x-client-hop']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    // From the upstream's answer: the header its Connection names and its Keep-Alive.
    expect(a.headers['x-upstream']).toBe('yes');
    expect(a.headers['x-upstream-private']).toBeUndefined();
    expect(a.headers['keep-alive']).not.toBe('timeout=5');
  });

  it('does not forward the client credential upstream unless the service asks', async () => {
    const plain = await raw(`${gw.url}/public/auth`, { headers: { authorization: 'Bearer client-secret' } });
    expect((JSON.parse(plain.body) as Echo).headers.authorization).toBeUndefined();
    const auth = await buy(`${gw.url}/cred/x`, devPayer(gw));
    const r = await fetch(`${gw.url}/cred/x`, { headers: { authorization: auth } });
    expect(r.status).toBe(200);
    expect((await json<Echo>(r)).headers.authorization).toBe(auth);
  });
});

describe('streaming', () => {
  it('streams Server-Sent Events: the first event arrives before the upstream finishes', async () => {
    const auth = await buy(`${gw.url}/pass/sse`, devPayer(gw));
    const res = await fetch(`${gw.url}/pass/sse`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('data: first\n\n')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended early');
      text += new TextDecoder().decode(value);
    }
    expect(text).not.toContain('second'); // the upstream is still holding the rest
    up.release('sse');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toBe('data: first\n\ndata: second\n\n');
  });

  it('streams a download and an upload through a pass service', async () => {
    const auth = await buy(`${gw.url}/pass/dl`, devPayer(gw));
    const dl = await fetch(`${gw.url}/pass/download?mb=8`, { headers: { authorization: auth } });
    expect(dl.status).toBe(200);
    const hash = createHash('sha256');
    let n = 0;
    for await (const c of dl.body as unknown as AsyncIterable<Uint8Array>) {
      n += c.length;
      hash.update(c);
    }
    expect(n).toBe(8 * 1024 * 1024);
    expect(hash.digest('hex')).toBe(
      createHash('sha256')
        .update(Buffer.alloc(8 * 1024 * 1024, 0x61))
        .digest('hex'),
    );
    // 8 MiB up, chunked (no content-length), more than the 1 MiB body cap of bound tokens.
    let sent = 0;
    const chunk = new Uint8Array(256 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 8 * 1024 * 1024) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const upl = await fetch(`${gw.url}/pass/upload`, {
      method: 'PUT',
      headers: { authorization: auth },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(upl.status).toBe(200);
    expect((await json<Echo>(upl)).bodyBytes).toBe(8 * 1024 * 1024);
  });
});

describe('WebSocket', () => {
  it('proxies an upgrade after payment, without the credential', async () => {
    const auth = await buy(`${gw.url}/ws/chat`, devPayer(gw));
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/ws/chat`, { headers: { authorization: auth } });
    const messages: string[] = [];
    const listeners: (() => void)[] = [];
    ws.on('message', (m) => {
      messages.push(m.toString());
      for (const l of listeners) l();
    });
    const got = (n: number) =>
      new Promise<void>((resolve) => {
        listeners.push(() => messages.length >= n && resolve());
        if (messages.length >= n) resolve();
      });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    });
    await got(1);
    ws.send('ping');
    await got(2);
    expect(messages).toEqual(['hello /chat', 'echo:ping']);
    const seen = up.seen.filter((s) => s.method === 'WS').at(-1)!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    ws.close();
    // The token was single-use: a second upgrade with it is refused.
    const again = await rawUpgrade(`${gw.url}/ws/chat`, { authorization: auth });
    expect(again).toMatch(/^HTTP\/1\.1 402 /);
  });

  it('refuses an upgrade without payment with 402 and challenges on the raw socket', async () => {
    const answer = await rawUpgrade(`${gw.url}/ws/chat`, {});
    expect(answer).toMatch(/^HTTP\/1\.1 402 Payment Required\r\n/);
    expect(answer).toMatch(/\r\nwww-authenticate: L402 macaroon="/);
    expect(answer).toMatch(/\r\nwww-authenticate: LSAT macaroon="/);
    expect(answer).toContain('"L402_PAYMENT_REQUIRED"');
  });
});

/** Sends a WebSocket upgrade request over a raw socket; resolves with all it got back. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    const lines = [
      `GET ${u.pathname} HTTP/1.1`,
      `Host: ${u.host}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    s.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('operations', () => {
  it('serves /healthz and /readyz', async () => {
    const h = await fetch(`${gw.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok' });
    const r = await fetch(`${gw.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready' });
  });

  it('exposes the counters at /metrics in Prometheus text format', async () => {
    const auth = await buy(`${gw.url}/api/metrics-probe`, devPayer(gw));
    const bad = await fetch(`${gw.url}/api/metrics-probe`, {
      headers: {
        authorization: buildCredential({
          macaroon: challengeOf(await fetch(`${gw.url}/api/x`)).macaroon,
          preimage: randomBytes(32),
        }),
      },
    });
    await bad.arrayBuffer();
    const served = await fetch(`${gw.url}/api/metrics-probe`, { headers: { authorization: auth } });
    await served.arrayBuffer();
    const replay = await fetch(`${gw.url}/api/metrics-probe`, { headers: { authorization: auth } });
    await replay.arrayBuffer();
    const m = await fetch(`${gw.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(text).toContain('# TYPE farebox_challenges_total counter');
    expect(value(/^farebox_challenges_total\{service="paid"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^farebox_payments_verified_total\{service="paid"\} (\d+)$/m)).toBeGreaterThan(0);
    // Every paid call of the "paid" service costs 10 sats: earnings are a multiple of 10.
    const earned = value(/^farebox_sats_earned_total\{service="paid"\} (\d+)$/m);
    expect(earned).toBeGreaterThanOrEqual(10);
    expect(earned % 10).toBe(0);
    expect(
      value(/^farebox_refused_total\{reason="L402_TOKEN_USED",service="paid"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/^farebox_refused_total\{reason="L402_[A-Z_]+",service="paid"\} \d+$/m); // the 401
    expect(text).toContain('# TYPE farebox_upstream_latency_seconds histogram');
    expect(text).toMatch(/^farebox_upstream_latency_seconds_bucket\{service="paid",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^farebox_upstream_latency_seconds_count\{service="paid"\} \d+$/m);
    expect(text).toMatch(/^farebox_requests_total\{outcome="paid",service="paid"\} \d+$/m);
    expect(text).toMatch(/^farebox_backend_up\{backend="dev"\} 1$/m);
  });

  it('lists the services in the discovery documents', async () => {
    const d = await json<{ services: { name?: string; service?: string }[] }>(
      await fetch(`${gw.url}/.well-known/l402-services`),
    );
    const names = JSON.stringify(d);
    for (const n of ['paid', 'pass', 'slow', 'ws', 'regex']) expect(names).toContain(`"${n}"`);
    const llms = await (await fetch(`${gw.url}/llms.txt`)).text();
    expect(llms).toContain('test gateway');
    expect(llms).toContain('/api/*');
    const openapi = await json<{ openapi: string; paths: Record<string, unknown> }>(
      await fetch(`${gw.url}/openapi.json`),
    );
    expect(openapi.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.paths).length).toBeGreaterThan(0);
  });

  it('logs one structured line per request with its id, service and outcome', () => {
    const line = logger.lines.find(
      (l) => l.msg === 'request' && l.outcome === 'paid' && l.service === 'paid',
    );
    expect(line).toMatchObject({ level: 'info', method: 'GET', status: 200 });
    expect(line?.requestId).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(logger.lines)).not.toContain('k-123'); // header secrets never logged
  });
});
