/**
 * The gateway's listeners: `h2c: true` (one cleartext port serving HTTP/2 with prior
 * knowledge and HTTP/1.1 side by side, the paywall and proxy the same on both), `tls`
 * (a certificate made here with openssl), and `metrics.listen` (a separate metrics port).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2, { type IncomingHttpHeaders } from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { challengeOf, devPayer, gatewayFrom, pay, tempDir } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let gw: Gateway;
let up: Upstream;

beforeAll(async () => {
  up = await startUpstream();
  gw = await gatewayFrom({
    h2c: true,
    services: [
      { name: 'free', path: '/free/*', upstream: up.url, auth: 'off' },
      { name: 'paid', path: '/paid/*', upstream: up.url, price: 9 },
    ],
  });
});

afterAll(async () => {
  await gw?.stop(200);
  await up?.stop();
});

/** One HTTP/2 request over cleartext (prior knowledge). */
function h2(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(gw.url);
    client.on('error', reject);
    const s = client.request({ ':path': path, ...headers });
    let body = '';
    let h: IncomingHttpHeaders = {};
    s.on('response', (x) => {
      h = x;
    });
    s.on('data', (d: Buffer) => {
      body += d.toString();
    });
    s.on('end', () => {
      client.close();
      resolve({ headers: h, body });
    });
    s.on('error', reject);
  });
}

describe('h2c', () => {
  it('serves HTTP/1.1 on the h2c port', async () => {
    const r = await fetch(`${gw.url}/free/one`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { url: string }).url).toBe('/free/one');
  });

  it('serves HTTP/2 over cleartext, forwarding no pseudo-headers upstream', async () => {
    const r = await h2('/free/two');
    expect(r.headers[':status']).toBe(200);
    const echo = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('/free/two');
    expect(Object.keys(echo.headers).some((k) => k.startsWith(':'))).toBe(false);
    expect(echo.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
  });

  it('challenges and serves a paid request over HTTP/2', async () => {
    const unpaid = await h2('/paid/x');
    expect(unpaid.headers[':status']).toBe(402);
    const res = new Response(unpaid.body, {
      status: 402,
      headers: { 'www-authenticate': String(unpaid.headers['www-authenticate']) },
    });
    challengeOf(res);
    const auth = await pay(res, devPayer(gw));
    const paid = await h2('/paid/x', { authorization: auth });
    expect(paid.headers[':status']).toBe(200);
    expect((JSON.parse(paid.body) as { url: string }).url).toBe('/paid/x');
  });
});

describe('TLS and a separate metrics listener', () => {
  let tls: Gateway;
  let ca: string;

  beforeAll(async () => {
    const dir = tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    tls = await gatewayFrom({
      tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
      metrics: { listen: '127.0.0.1:0' },
      services: [{ name: 'free', path: '/free/*', upstream: up.url, auth: 'off' }],
    });
  });

  afterAll(async () => {
    await tls?.stop(200);
  });

  it('serves HTTPS with the configured certificate and says https upstream', async () => {
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${tls.url}/free/secure`, { ca }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => {
            b += d.toString();
          });
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    const echo = JSON.parse(body) as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('/free/secure');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
  });

  it('serves /metrics on its own listener, not on the main one', async () => {
    expect(tls.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const m = await fetch(tls.metricsUrl!);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('# TYPE farebox_requests_total counter');
    const status = await new Promise<number>((resolve, reject) => {
      https.get(`${tls.url}/metrics`, { ca }, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
    });
    expect(status).toBe(404); // no service for /metrics there
  });
});
