/**
 * The admin dashboard in a real browser over real HTTP: Debian's Chromium driven by
 * playwright-core, a gateway on the dev node with paid calls made by `@farebox/client`. The
 * test signs in (a wrong token first), reads the chart, the tables and the backend, switches
 * the period, revokes a pass with the button and checks the pass is refused afterwards. The
 * past day's history is seeded into the ledger (a test cannot pay yesterday), the last
 * minutes' payments are real. A screenshot is kept as `test-artifacts/dashboard.png`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevPayWallet, type FetchFn, wrapFetch } from '@farebox/client';
import { DEV_NODE_NOTICE } from '@farebox/lightning';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminHandler } from '../src/admin.js';
import { parseConfig } from '../src/config.js';
import { DASHBOARD_SCRIPT } from '../src/dashboard.js';
import { type Gateway, startGateway } from '../src/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const TOKEN = 'dashboard-test-token-5f1c';
const PRICES: Record<string, number> = { jokes: 21, clock: 5, search: 12 };

/** A deterministic stream of numbers in [0, 1) (the seeded history looks the same every run). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function hex32(n: () => number): string {
  return Array.from({ length: 32 }, () =>
    Math.floor(n() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
}

/** Earlier payments of the past day, straight into the ledger; returns how many per service. */
function seedHistory(gw: Gateway, nowS: number): Record<string, { sats: number; payments: number }> {
  const rnd = lcg(402);
  const out: Record<string, { sats: number; payments: number }> = {};
  // 22 hours back at most: every seeded payment falls inside the chart's 24 hourly bars.
  for (let h = 22; h >= 1; h--) {
    // Busier in the "afternoon" of the chart, quieter at its ends.
    const load = 1 + Math.round(4 * Math.sin((Math.PI * (24 - h)) / 24));
    for (const service of Object.keys(PRICES)) {
      const n = Math.floor(rnd() * (load + (service === 'jokes' ? 2 : 0)));
      for (let i = 0; i < n; i++) {
        const time = nowS - h * 3600 - Math.floor(rnd() * 3000);
        const tokenId = hex32(rnd);
        gw.ledger.record({
          tokenId,
          paymentHash: hex32(rnd),
          amountMsat: BigInt(PRICES[service]! * 1000),
          route: `GET /${service}`,
          service,
          time,
          use: 1,
        });
        // Yesterday's credits were used up since: only today's tokens are active.
        if (service === 'search') gw.ledger.tokens.get(tokenId)!.uses = 5;
        // Counted as the gateway would have: a challenge, then the paid request.
        gw.metrics.requests.inc({ service, outcome: 'challenged' });
        gw.metrics.requests.inc({ service, outcome: 'paid' });
        const o = out[service] ?? { sats: 0, payments: 0 };
        out[service] = o;
        o.sats += PRICES[service]!;
        o.payments++;
      }
    }
  }
  return out;
}

describe.skipIf(!existsSync(CHROMIUM))('admin dashboard in Chromium', () => {
  let upstream: Server;
  let gw: Gateway;
  let dir: string;
  let browser: Browser;
  let seeded: Record<string, { sats: number; payments: number }>;
  const contexts: BrowserContext[] = [];
  /** The credential of each pass bought, in order. */
  const passes: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'farebox-dashboard-'));
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const config = parseConfig(
      JSON.stringify({
        listen: '127.0.0.1:0',
        backend: 'dev',
        store: 'memory',
        title: 'Jokes, time and search',
        admin: { enabled: true, token: TOKEN },
        services: [
          { name: 'jokes', path: '/joke', methods: ['GET'], upstream: up, price: PRICES.jokes },
          { name: 'clock', path: '/time', upstream: up, price: PRICES.clock, policy: { pass: 3600 } },
          { name: 'search', path: '/search', upstream: up, price: PRICES.search, policy: { credits: 5 } },
        ],
      }),
      'dashboard-test',
    );
    gw = await startGateway({ config, baseDir: dir, production: false, admin: createAdminHandler() });
    seeded = seedHistory(gw, Math.floor(Date.now() / 1000));

    // Real payments now: two buyers, so there are two live passes and a live credits token.
    for (let buyer = 0; buyer < 2; buyer++) {
      const recording: FetchFn = async (input, init) => {
        const req = new Request(input, init);
        const res = await fetch(req);
        const a = req.headers.get('authorization');
        if (a && res.status === 200 && new URL(req.url).pathname === '/time' && !passes.includes(a))
          passes.push(a);
        return res;
      };
      const pay = wrapFetch(recording, {
        wallet: new DevPayWallet(`${gw.url}/.well-known/l402/dev-pay`),
        budget: { perRequestSats: 100 },
      });
      for (let i = 0; i < 2 + buyer; i++) expect((await pay(`${gw.url}/joke`)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await pay(`${gw.url}/time`)).status).toBe(200);
      if (buyer === 0) for (let i = 0; i < 2; i++) expect((await pay(`${gw.url}/search`)).status).toBe(200);
    }
    expect(passes).toHaveLength(2);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await gw?.stop(100);
    await new Promise((r) => upstream?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh page that records script errors and CSP violations (logged as console errors). */
  async function open(): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // The wrong token's 401 is logged by Chromium as a failed resource; anything else is a fault.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(`${gw.url}/admin`);
    expect(res?.status()).toBe(200);
    return { page, errors, requests };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs in, draws the earnings chart and the tables, revokes a pass with the button', async () => {
    const { page, errors, requests } = await open();
    await expect(page.title()).resolves.toBe('farebox admin');
    expect(await page.locator('#app').isHidden()).toBe(true);

    // A wrong token: refused, nothing stored, still on the form.
    await signIn(page, 'not-the-token');
    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.locator('#app').isHidden()).toBe(true);

    await signIn(page, TOKEN);
    await page.locator('#chart svg rect.bar').first().waitFor();
    expect(await page.locator('#login').isHidden()).toBe(true);
    // The token lives in this tab's sessionStorage, never in the address or the form.
    expect(await page.evaluate(() => sessionStorage.getItem('farebox.admin.token'))).toBe(TOKEN);
    expect(await page.getByLabel('Admin token').inputValue()).toBe('');
    expect(page.url()).toBe(`${gw.url}/admin`);
    expect(requests.some((u) => u.includes(TOKEN))).toBe(false);
    expect(requests.every((u) => u.startsWith(gw.url))).toBe(true);

    // Header, notice, totals.
    expect(await page.locator('#title').textContent()).toBe('Jokes, time and search');
    expect(await page.locator('#notice-text').textContent()).toBe(DEV_NODE_NOTICE);
    expect(await page.locator('#backend-pill').textContent()).toBe('dev · regtest');
    const real = { jokes: 5 * 21, clock: 2 * 5, search: 12 };
    const sats = Object.keys(PRICES).reduce(
      (a, s) => a + (seeded[s]?.sats ?? 0) + real[s as keyof typeof real],
      0,
    );
    expect(await page.locator('#t-sats').textContent()).toBe(sats.toLocaleString('en-US'));
    const payments = Object.values(seeded).reduce((a, s) => a + s.payments, 0) + 5 + 2 + 1;
    expect(await page.locator('#t-payments').textContent()).toBe(payments.toLocaleString('en-US'));

    // The chart: an SVG with bars of every service, stacked per hour; the legend matches.
    const chart = page.locator('#chart svg');
    expect(await chart.getAttribute('aria-label')).toBe('Sats earned per hour, by service');
    for (const service of Object.keys(PRICES))
      expect(await chart.locator(`rect.bar[data-service="${service}"]`).count(), service).toBeGreaterThan(3);
    const drawn = await chart
      .locator('rect.bar')
      .evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-sats')), 0));
    expect(drawn).toBe(sats);
    expect(await page.locator('#legend strong').allTextContents()).toEqual(['jokes', 'clock', 'search']);
    // Each bar's title says what it is.
    expect(await chart.locator('rect.bar[data-service="clock"] title').last().textContent()).toMatch(
      /^clock · \d\d:00: 10 sats from 2 payments$/,
    );

    // Services, payments (newest first), tokens, backend.
    expect(await page.locator('#services-body tr').count()).toBe(3);
    const payRows = page.locator('#payments-body tr');
    expect(await payRows.count()).toBe(Math.min(50, payments));
    expect(await payRows.first().locator('td').nth(0).textContent()).toMatch(/^(just now|\d+ s ago)$/);
    expect(await payRows.first().locator('td').nth(2).textContent()).toBe('5 sats');
    expect(await payRows.first().locator('td.mono').getAttribute('title')).toMatch(/^[0-9a-f]{64}$/);
    const tokenRows = page.locator('#tokens-body tr');
    expect(await tokenRows.count()).toBe(3); // two passes and the credits token
    expect(await tokenRows.locator('td:nth-child(2)').allTextContents()).toEqual(
      expect.arrayContaining(['clock', 'clock', 'search']),
    );
    expect(
      await page.locator('#tokens-body tr', { hasText: 'search' }).locator('td').nth(2).textContent(),
    ).toBe('2 / 5');
    const backend = await page.locator('#backend').textContent();
    expect(backend).toContain('reachable');
    expect(backend).toContain('embedded dev node');
    expect(backend).toContain('memory');

    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // The period switch redraws the chart by minute: the real payments of the last minutes.
    await page.getByRole('button', { name: 'Last hour' }).click();
    await page.locator('#chart svg[aria-label="Sats earned per minute, by service"]').waitFor();
    expect(await page.getByRole('button', { name: 'Last hour' }).getAttribute('aria-pressed')).toBe('true');
    const lastHour = await page
      .locator('#chart rect.bar')
      .evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-sats')), 0));
    expect(lastHour).toBe(real.jokes + real.clock + real.search);
    await page.getByRole('button', { name: 'Last 24 hours' }).click();

    // Revoke the first pass: one click arms the button, the second revokes.
    const { tokens } = (await (
      await fetch(`${gw.url}/admin/api/tokens`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { tokens: { tokenId: string; service: string; firstSeen: number }[] };
    const firstPass = tokens
      .filter((t) => t.service === 'clock')
      .sort((a, b) => a.firstSeen - b.firstSeen)[0]!;
    const row = page.locator(`#tokens-body tr[data-token="${firstPass.tokenId}"]`);
    const button = row.getByRole('button');
    await button.click();
    expect(await button.textContent()).toBe('Confirm revoke');
    await button.click();
    await page.locator('#status', { hasText: 'its next request gets 401 L402_REVOKED' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(await tokenRows.count()).toBe(2);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-revoked.png`, fullPage: true });

    // Which pass was that? The one whose credential is now refused.
    const statuses = await Promise.all(
      passes.map(async (authorization) => {
        const res = await fetch(`${gw.url}/time`, { headers: { authorization } });
        const body = (await res.json()) as { error?: { code?: string } };
        return `${res.status}${body.error?.code ? ` ${body.error.code}` : ''}`;
      }),
    );
    expect(statuses.sort()).toEqual(['200', '401 L402_REVOKED']);

    // Signing out forgets the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.locator('#payments-body tr').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the browser script parses on its own', () => {
    expect(() => new Function(DASHBOARD_SCRIPT)).not.toThrow();
  });
});
