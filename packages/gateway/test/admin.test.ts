/**
 * The admin API over real HTTP: a gateway on the dev node (memory store) in front of a
 * node:http upstream, paid through the gateway's own dev wallet by `@farebox/client`. Checks
 * the bearer token (missing, wrong, near-miss), the loopback rule (through a real
 * non-loopback interface when the machine has one), what the summary, earnings, payments and
 * tokens say after paid calls, and that a revoked pass gets 401 `L402_REVOKED`. Plus the
 * dedicated `admin.listen` listener, a token from the environment, and admin being off by
 * default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevPayWallet, type FetchFn, wrapFetch } from '@farebox/client';
import { DEV_NODE_NOTICE } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminErrorCodes, createAdminHandler, isLoopbackAddress } from '../src/admin.js';
import { parseConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';

const TOKEN = 'test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A non-loopback IPv4 address of this machine: connecting to it is a non-loopback client. */
function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

function config(upstream: string, extra: Record<string, unknown> = {}) {
  return parseConfig(
    JSON.stringify({
      listen: '127.0.0.1:0',
      backend: 'dev',
      store: 'memory',
      admin: { enabled: true, token: TOKEN },
      title: 'Admin test gateway',
      services: [
        { name: 'jokes', path: '/joke', methods: ['GET'], upstream, price: 21 },
        { name: 'clock', path: '/time', upstream, price: 5, policy: { pass: 3600 } },
        { name: 'health', path: '/health', upstream, price: 0, auth: 'off' },
      ],
      ...extra,
    }),
    'admin-test',
  );
}

async function errorCode(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { error?: { code?: string } }).error?.code;
}

describe('admin API over HTTP', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let gw: Gateway;
  const dirs: string[] = [];
  const others: Gateway[] = [];
  /** Every response the paying client saw: status, error code, the credential it sent. */
  const seen: { path: string; status: number; code?: string; authorization?: string }[] = [];
  let pay: ReturnType<typeof wrapFetch>;

  const baseDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'farebox-admin-'));
    dirs.push(d);
    return d;
  };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}/admin/api/${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await api(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    gw = await startGateway({
      config: config(upstreamUrl),
      baseDir: baseDir(),
      production: false,
      admin: createAdminHandler(),
    });
    const recording: FetchFn = async (input, init) => {
      const req = new Request(input, init);
      const res = await fetch(req);
      const entry: (typeof seen)[number] = { path: new URL(req.url).pathname, status: res.status };
      const a = req.headers.get('authorization');
      if (a) entry.authorization = a;
      if (res.status >= 400) {
        const code = await errorCode(res.clone()).catch(() => undefined);
        if (code) entry.code = code;
      }
      seen.push(entry);
      return res;
    };
    pay = wrapFetch(recording, {
      wallet: new DevPayWallet(`${gw.url}/.well-known/l402/dev-pay`),
      budget: { perRequestSats: 100, perDaySats: 10_000 },
    });
  });

  afterAll(async () => {
    for (const g of [gw, ...others]) await g?.stop(100);
    await new Promise((r) => upstream?.close(r));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('serves the dashboard page without a token: HTML, strict CSP with a nonce, nothing external', async () => {
    const res = await fetch(`${gw.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).toContain(`<script nonce="${nonce}">`);
    // Nothing to load from anywhere: the only link is an empty data: icon (no /favicon.ico request).
    expect([...html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => m[1])).toEqual(['data:,']);
    expect(html).not.toContain(TOKEN);
    // The token field has no name: a form submitted without the script cannot put it in a URL.
    expect(html).toMatch(/<input id="token" type="password"(?![^>]*\bname=)[^>]*>/);
    expect((await fetch(`${gw.url}/admin`)).headers.get('content-security-policy')).not.toBe(csp);
  });

  it('refuses API calls without the token, with a wrong one, a near miss or another scheme', async () => {
    const url = `${gw.url}/admin/api/summary`;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await fetch(url, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="farebox admin"');
      expect(await res.json()).toEqual({
        error: { code: AdminErrorCodes.UNAUTHORIZED, message: expect.any(String) },
      });
    }
    const ok = await fetch(url, { headers: { authorization: `bearer  ${TOKEN}` } });
    expect(ok.status).toBe(200);
    // The revoke endpoint too: nothing changes without the token.
    const rv = await fetch(`${gw.url}/admin/api/tokens/${'ab'.repeat(32)}/revoke`, { method: 'POST' });
    expect(rv.status).toBe(401);
  });

  it('answers unknown endpoints, wrong methods and bad parameters with JSON errors', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['nope', {}, 404, AdminErrorCodes.NOT_FOUND],
      ['summary', { method: 'POST' }, 405, AdminErrorCodes.METHOD_NOT_ALLOWED],
      [`tokens/${'ab'.repeat(32)}/revoke`, {}, 405, AdminErrorCodes.METHOD_NOT_ALLOWED],
      ['tokens/not-a-token/revoke', { method: 'POST' }, 400, AdminErrorCodes.INVALID_PARAMETER],
      ['earnings?bucket=0', {}, 400, AdminErrorCodes.INVALID_PARAMETER],
      ['earnings?bucket=abc', {}, 400, AdminErrorCodes.INVALID_PARAMETER],
      ['payments?limit=5000', {}, 400, AdminErrorCodes.INVALID_PARAMETER],
      ['tokens?state=weird', {}, 400, AdminErrorCodes.INVALID_PARAMETER],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await api(path, init);
      expect(res.status, path).toBe(status);
      expect(await errorCode(res), path).toBe(code);
    }
    const bad = await api('earnings?bucket=0');
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('"bucket"');
  });

  it('reports the backend: the dev node, reachable, regtest', async () => {
    const b = await getJson<Record<string, unknown>>('backend');
    expect(b).toMatchObject({ ok: true, backend: 'dev', dev: true, connection: 'dev', network: 'regtest' });
    expect(b.latencyMs).toEqual(expect.any(Number));
  });

  it('after paid calls, summary, earnings, payments and tokens reflect them', async () => {
    for (let i = 0; i < 3; i++) expect((await pay(`${gw.url}/joke`)).status).toBe(200);
    expect((await pay(`${gw.url}/time`)).status).toBe(200);
    expect((await pay(`${gw.url}/time`)).status).toBe(200); // the same pass, a second use
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect((await pay.client.receipts()).totalSats).toBe(3 * 21 + 5);

    type Svc = {
      name: string;
      sats: number;
      payments: number;
      paidRequests: number;
      requests: number;
      requestsByOutcome: Record<string, number>;
    };
    const s = await getJson<{
      services: Svc[];
      totals: Record<string, number>;
      backend: { ok: boolean };
      store: string;
      notice: string | null;
      uptimeSeconds: number;
      title: string;
      ledger: { entries: number };
    }>('summary');
    const by = Object.fromEntries(s.services.map((x) => [x.name, x]));
    expect(s.services.map((x) => x.name)).toEqual(['jokes', 'clock', 'health']);
    expect(by.jokes).toMatchObject({ price: '21 sats', policy: 'per-request', sats: 63, payments: 3 });
    expect(by.jokes).toMatchObject({ paidRequests: 3, requests: 6 });
    expect(by.jokes!.requestsByOutcome).toEqual({ challenged: 3, paid: 3 });
    expect(by.clock).toMatchObject({
      policy: 'pass 3600 s',
      sats: 5,
      payments: 1,
      paidRequests: 2,
      requests: 3,
    });
    expect(by.health).toMatchObject({ policy: 'free', sats: 0, payments: 0, requests: 1 });
    expect(s.totals).toEqual({ sats: 68, payments: 4, paidRequests: 5, requests: 10 });
    expect(s.backend.ok).toBe(true);
    expect(s.store).toBe('memory');
    expect(s.notice).toBe(DEV_NODE_NOTICE);
    expect(s.title).toBe('Admin test gateway');
    expect(s.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(s.ledger.entries).toBe(5);

    for (const bucket of [60, 3600, 86_400]) {
      const e = await getJson<{
        bucketSeconds: number;
        services: string[];
        buckets: { bucket: number; service: string; sats: number; count: number }[];
      }>(`earnings?bucket=${bucket}`);
      expect(e.bucketSeconds).toBe(bucket);
      expect(e.services).toEqual(['jokes', 'clock', 'health']);
      const total = (svc: string) =>
        e.buckets.filter((b) => b.service === svc).reduce((a, b) => a + b.sats, 0);
      expect(total('jokes')).toBe(63);
      expect(total('clock')).toBe(5);
      expect(e.buckets.reduce((a, b) => a + b.count, 0)).toBe(4);
      for (const b of e.buckets) expect(b.bucket % bucket).toBe(0);
    }
    const future = await getJson<{ buckets: unknown[] }>(`earnings?bucket=60&since=${2 ** 33}`);
    expect(future.buckets).toEqual([]);

    const p = await getJson<{
      payments: { time: number; service: string; sats: number; paymentHash: string; uses: number }[];
    }>('payments?limit=50');
    expect(p.payments.map((x) => x.service)).toEqual(['clock', 'jokes', 'jokes', 'jokes']);
    expect(p.payments[0]).toMatchObject({ sats: 5, uses: 2 });
    expect(p.payments[1]).toMatchObject({ sats: 21, uses: 1 });
    for (const x of p.payments) expect(x.paymentHash).toMatch(/^[0-9a-f]{64}$/);
    const receipts = (await pay.client.receipts()).receipts.map((r) => r.paymentHash).sort();
    expect(p.payments.map((x) => x.paymentHash).sort()).toEqual(receipts);
    expect((await getJson<{ payments: unknown[] }>('payments?limit=2')).payments).toHaveLength(2);
    expect((await getJson<{ payments: unknown[] }>('payments?service=clock')).payments).toHaveLength(1);

    // Per-request tokens are spent once served; the pass stays active.
    const t = await getJson<{
      tokens: { service: string; uses: number; state: string; expiresAt: number }[];
    }>('tokens');
    expect(t.tokens).toHaveLength(1);
    expect(t.tokens[0]).toMatchObject({ service: 'clock', uses: 2, state: 'active' });
    expect(t.tokens[0]!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3000);
    const all = await getJson<{ tokens: { service: string; state: string }[] }>('tokens?state=all');
    expect(all.tokens.map((x) => `${x.service}:${x.state}`).sort()).toEqual([
      'clock:active',
      'jokes:spent',
      'jokes:spent',
      'jokes:spent',
    ]);
  });

  it('revoking a pass makes its next call 401 L402_REVOKED', async () => {
    const { tokens } = await getJson<{ tokens: { tokenId: string; service: string }[] }>('tokens');
    const pass = tokens.find((x) => x.service === 'clock')!;
    expect(pass.tokenId).toMatch(/^[0-9a-f]{64}$/);
    const credential = [...seen].reverse().find((x) => x.path === '/time' && x.status === 200)?.authorization;
    expect(credential).toMatch(/^L402 /);
    // Still good before the revocation.
    expect((await fetch(`${gw.url}/time`, { headers: { authorization: credential! } })).status).toBe(200);

    const rv = await api(`tokens/${pass.tokenId}/revoke`, { method: 'POST' });
    expect(rv.status).toBe(200);
    expect(await rv.json()).toEqual({ revoked: true, tokenId: pass.tokenId, known: true });

    const res = await fetch(`${gw.url}/time`, { headers: { authorization: credential! } });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('L402_REVOKED');
    expect(res.headers.get('www-authenticate')).toMatch(/^L402 /); // a fresh challenge comes along

    // The paying client meets the same 401 with its cached pass, then buys a new one.
    const before = seen.length;
    expect((await pay(`${gw.url}/time`)).status).toBe(200);
    expect(seen.slice(before).map((x) => `${x.status}${x.code ? ` ${x.code}` : ''}`)).toEqual([
      '401 L402_REVOKED',
      '200',
    ]);
    const after = await getJson<{ tokens: { tokenId: string }[] }>('tokens');
    expect(after.tokens.map((x) => x.tokenId)).not.toContain(pass.tokenId);
    expect(after.tokens).toHaveLength(1); // the new pass
    const all = await getJson<{ tokens: { tokenId: string; state: string }[] }>('tokens?state=all');
    expect(all.tokens.find((x) => x.tokenId === pass.tokenId)?.state).toBe('revoked');
    // An id the ledger never saw can be revoked ahead of use.
    const unknown = await api(`tokens/${'cd'.repeat(32)}/revoke`, { method: 'POST' });
    expect(await unknown.json()).toMatchObject({ revoked: true, known: false });
  });

  it.skipIf(!externalIPv4())(
    'refuses a client that is not on loopback, even with the right token',
    async () => {
      const ip = externalIPv4()!;
      const open = await startGateway({
        config: config(upstreamUrl, { listen: '0.0.0.0:0' }),
        baseDir: baseDir(),
        production: false,
        admin: createAdminHandler(),
      });
      others.push(open);
      const port = new URL(open.url).port;
      for (const path of ['/admin', '/admin/api/summary']) {
        const res = await fetch(`http://${ip}:${port}${path}`, { headers: auth });
        expect(res.status, path).toBe(403);
        expect(await errorCode(res)).toBe(AdminErrorCodes.FORBIDDEN);
      }
      // The same gateway over loopback answers; paid routes stay open to everyone.
      expect((await fetch(`http://127.0.0.1:${port}/admin/api/summary`, { headers: auth })).status).toBe(200);
      expect((await fetch(`http://${ip}:${port}/joke`)).status).toBe(402);
    },
  );

  it('a dedicated admin listener (admin.listen) takes /admin off the public port; a token from the environment', async () => {
    const g = await startGateway({
      config: config(upstreamUrl, {
        admin: { enabled: true, token: { env: 'FAREBOX_ADMIN_TOKEN' }, listen: '127.0.0.1:0' },
      }),
      env: { FAREBOX_ADMIN_TOKEN: 'from-the-environment' },
      baseDir: baseDir(),
      production: false,
      admin: createAdminHandler(),
    });
    others.push(g);
    expect(g.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin$/);
    const adminBase = g.adminUrl!.replace(/\/admin$/, '');
    expect((await fetch(`${g.url}/admin/api/summary`, { headers: auth })).status).toBe(404); // no service there
    const ok = await fetch(`${adminBase}/admin/api/summary`, {
      headers: { authorization: 'Bearer from-the-environment' },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${adminBase}/admin/api/summary`, { headers: auth })).status).toBe(401);
    expect((await fetch(`${adminBase}/admin`)).status).toBe(200);
    expect((await fetch(`${adminBase}/joke`)).status).toBe(404); // nothing but admin here
    const root = await fetch(`${adminBase}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin');
  });

  it('is off unless enabled: /admin is then an ordinary path', async () => {
    const cfg = config(upstreamUrl);
    delete cfg.admin;
    const g = await startGateway({
      config: cfg,
      baseDir: baseDir(),
      production: false,
      admin: createAdminHandler(),
    });
    others.push(g);
    const res = await fetch(`${g.url}/admin/api/summary`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('NO_SERVICE');
  });
});

describe('admin handler without a server', () => {
  it('knows loopback addresses (IPv4, IPv6, IPv4-mapped) and nothing else', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(ip), ip).toBe(true);
    for (const ip of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '::', '0.0.0.0', '128.0.0.1', 'fe80::1'])
      expect(isLoopbackAddress(ip), String(ip)).toBe(false);
  });

  it('checks its options and names the bad one', () => {
    expect(() => createAdminHandler({ token: '' })).toThrow(/"token"/);
    expect(() => createAdminHandler(null as never)).toThrow(/"opts"/);
  });

  it('fails closed without a token; allowRemote opens it to other addresses, still with the token', async () => {
    const gw = {} as Gateway;
    const req = (h: Record<string, string> = {}) =>
      new Request('http://x/admin/api/nothing-here', { headers: h });
    const noToken = createAdminHandler();
    const r1 = await noToken(req({ authorization: 'Bearer anything' }), gw, {
      clientIp: '127.0.0.1',
      token: undefined,
      remoteAllowed: false,
    });
    expect(r1.status).toBe(401);
    const remote = createAdminHandler({ token: 'secret-token', allowRemote: true });
    const info = { clientIp: '203.0.113.9', token: undefined, remoteAllowed: false };
    expect((await remote(req(), gw, info)).status).toBe(401);
    expect((await remote(req({ authorization: 'Bearer secret-token' }), gw, info)).status).toBe(404);
    const local = createAdminHandler({ token: 'secret-token' });
    expect((await local(req({ authorization: 'Bearer secret-token' }), gw, info)).status).toBe(403);
    expect(
      (await local(req({ authorization: 'Bearer secret-token' }), gw, { ...info, remoteAllowed: true }))
        .status,
    ).toBe(404);
  });
});
