/**
 * The payment page in a real browser over real HTTP: Debian's Chromium driven by
 * playwright-core, a Paywall on the dev node served by `node:http`. Three ways to pay (the dev
 * wallet button, out of band while the page polls, a WebLN wallet) each end with the page
 * fetching and showing what was bought. Plus checks of the HTML itself without a browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import qrcode from 'qrcode-generator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/adapters/node.js';
import { Paywall, type PaywallOptions, qrSvg, renderPaymentPage } from '../src/index.js';
import { PAYMENT_PAGE_SCRIPT } from '../src/page-script.js';

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
const ZBARIMG = '/usr/bin/zbarimg';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const JOKE = { joke: 'There are 10 kinds of people: those who read binary and those who pay in sats.' };

function paywall(node: DevNode, extra: Partial<PaywallOptions> = {}): Paywall {
  return new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    devWallet: node,
    notice: DEV_NODE_NOTICE,
    routes: [
      { method: 'GET', path: '/joke', price: 21, description: 'One programming joke, freshly told' },
      { method: 'GET', path: '/page', price: 5, description: 'A paid HTML page' },
    ],
    ...extra,
  });
}

async function handler(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (path === '/page') {
    return new Response('<!doctype html><title>Paid page</title><h1 id="paid">Thanks for paying</h1>', {
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
  }
  return Response.json(JOKE);
}

describe.skipIf(!existsSync(CHROMIUM))('payment page in Chromium', () => {
  const node = new DevNode({ production: false });
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serve>>;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serve(paywall(node), handler);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await node.close();
  });

  /** A fresh page that records script errors and CSP violations (logged as console errors). */
  async function open(
    path: string,
    setup?: (ctx: BrowserContext, page: Page) => Promise<void>,
  ): Promise<{ page: Page; errors: string[]; status: number }> {
    const ctx = await browser.newContext({ viewport: { width: 760, height: 1100 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // The page itself arrives with status 402, which Chromium logs; anything else is a fault.
      if (m.type() === 'error' && !/status of 402/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    if (setup) await setup(ctx, page);
    const res = await page.goto(`${server.url}${path}`);
    return { page, errors, status: res?.status() ?? 0 };
  }

  it('shows price, QR, invoice, notice; the dev wallet button pays and the joke appears', async () => {
    const { page, errors, status } = await open('/joke', async (ctx) => {
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    });
    expect(status).toBe(402);
    await expect(page.title()).resolves.toBe('Pay 21 sats: One programming joke, freshly told');
    expect(await page.locator('.price').textContent()).toMatch(/^21\s+sats$/);
    expect(await page.locator('.what').textContent()).toBe('One programming joke, freshly told');
    expect(await page.locator('.notice').textContent()).toBe(DEV_NODE_NOTICE);
    expect(await page.locator('.qr svg path').count()).toBe(1);
    expect(await page.locator('.qr svg').isVisible()).toBe(true);
    const invoice = await page.locator('#l402-invoice').inputValue();
    expect(invoice).toMatch(/^lnbcrt210n1/);
    expect(await page.locator('.qr').getAttribute('href')).toBe(`lightning:${invoice}`);
    await expect(page.locator('#l402-status').textContent()).resolves.toBe('Waiting for payment…');

    // Copy puts the invoice on the clipboard.
    await page.getByRole('button', { name: 'Copy invoice' }).click();
    await page.locator('#l402-status', { hasText: 'Invoice copied.' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(invoice);

    await page.screenshot({ path: `${ARTIFACTS}payment-page.png`, fullPage: true });
    // A real decoder reads the QR as drawn by the browser, when one is installed (zbar-tools).
    if (existsSync(ZBARIMG)) {
      await page.locator('.qr').screenshot({ path: `${ARTIFACTS}payment-page-qr.png` });
      const decoded = execFileSync(ZBARIMG, ['-q', '--raw', `${ARTIFACTS}payment-page-qr.png`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(decoded.trim()).toBe(`LIGHTNING:${invoice.toUpperCase()}`);
    }

    await page.getByRole('button', { name: 'Pay with the dev wallet' }).click();
    const out = page.locator('#l402-out pre');
    await out.waitFor({ timeout: 15_000 });
    expect(JSON.parse((await out.textContent()) ?? '')).toEqual(JOKE);
    expect(await page.locator('#l402-status').textContent()).toMatch(/^Paid\. HTTP 200 application\/json/);
    expect(await page.locator('#l402-pay').isHidden()).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('Paid');
    expect((await node.lookupInvoice(await hashOf(page))).state).toBe('settled');
    await page.screenshot({ path: `${ARTIFACTS}payment-page-paid.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('picks up a payment made elsewhere by polling, then shows the result', async () => {
    const { page, errors } = await open('/joke');
    const invoice = await page.locator('#l402-invoice').inputValue();
    await new Promise((r) => setTimeout(r, 300));
    const paid = await node.payInvoice(invoice);
    expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/);
    const out = page.locator('#l402-out pre');
    await out.waitFor({ timeout: 10_000 });
    expect(JSON.parse((await out.textContent()) ?? '')).toEqual(JOKE);
    expect(errors).toEqual([]);
  });

  it('pays with a WebLN wallet (enable, then sendPayment) and shows the result', async () => {
    const { page, errors } = await open('/joke', async (_ctx, p) => {
      await p.exposeFunction('farebox_testPay', async (inv: string) => (await node.payInvoice(inv)).preimage);
      await p.addInitScript(() => {
        const w = window as unknown as {
          webln: unknown;
          weblnCalls: string[];
          farebox_testPay(inv: string): Promise<string>;
        };
        w.weblnCalls = [];
        w.webln = {
          enable: async () => {
            w.weblnCalls.push('enable');
          },
          sendPayment: async (inv: string) => {
            w.weblnCalls.push(`sendPayment:${inv}`);
            return { preimage: await w.farebox_testPay(inv) };
          },
        };
      });
    });
    const invoice = await page.locator('#l402-invoice').inputValue();
    await page.getByRole('button', { name: 'Pay with wallet (WebLN)' }).click();
    const out = page.locator('#l402-out pre');
    await out.waitFor({ timeout: 10_000 });
    expect(JSON.parse((await out.textContent()) ?? '')).toEqual(JOKE);
    expect(await page.evaluate(() => (window as unknown as { weblnCalls: string[] }).weblnCalls)).toEqual([
      'enable',
      `sendPayment:${invoice}`,
    ]);
    expect(errors).toEqual([]);
  });

  it('says so when there is no WebLN wallet', async () => {
    const { page } = await open('/joke');
    await page.getByRole('button', { name: 'Pay with wallet (WebLN)' }).click();
    await expect(page.locator('#l402-status').textContent()).resolves.toMatch(/^No WebLN wallet found/);
  });

  it('replaces the document when what was bought is HTML', async () => {
    const { page, errors } = await open('/page');
    await page.getByRole('button', { name: 'Pay with the dev wallet' }).click();
    await page.locator('#paid').waitFor({ timeout: 10_000 });
    expect(await page.locator('#paid').textContent()).toBe('Thanks for paying');
    expect(page.url()).toBe(`${server.url}/page`);
    expect(errors).toEqual([]);
  });

  it('without JavaScript still shows the invoice, QR and the manual header, and hides JS-only buttons', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(`${server.url}/joke`);
    expect(await page.locator('#l402-invoice').inputValue()).toMatch(/^lnbcrt/);
    expect(await page.locator('.qr svg').isVisible()).toBe(true);
    expect(await page.locator('#l402-copy').isHidden()).toBe(true);
    expect(await page.locator('#l402-devpay').isHidden()).toBe(true);
    expect(await page.locator('#l402-auth').textContent()).toMatch(
      /^Authorization: L402 [A-Za-z0-9+/=]+:<preimage>$/,
    );
  });
});

async function hashOf(page: Page): Promise<string> {
  return (await page.locator('#l402').getAttribute('data-hash')) ?? '';
}

describe('payment page HTML (no browser)', () => {
  const challenge = {
    macaroon: 'AgEEbHNhdA==',
    invoice: 'lnbcrt210n1pjqqqqqsp5qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq',
    paymentHash: 'ab'.repeat(32),
    amountMsat: 21_000n,
    expiresAt: 1_900_000_000,
    description: '<script>alert("x")</script> & friends',
  };

  it('escapes the description, carries a nonce CSP and the same challenges as the JSON answer', async () => {
    const res = renderPaymentPage({
      req: new Request('http://localhost/joke', { headers: { accept: 'text/html' } }),
      challenge,
      status: 402,
      code: 'PAYMENT_REQUIRED',
      notice: 'dev <node>',
    });
    expect(res.status).toBe(402);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/https?:/);
    const www = res.headers.get('www-authenticate') ?? '';
    expect(www).toContain(`L402 macaroon="${challenge.macaroon}", invoice="${challenge.invoice}"`);
    expect(www).toContain(`LSAT macaroon="${challenge.macaroon}"`);

    const html = await res.text();
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends');
    expect(html).toContain('dev &lt;node&gt;');
    // Exactly one script, carrying the nonce; no external resources at all.
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(new TextEncoder().encode(html).length).toBeLessThan(30_000);
    // No dev wallet configured: no dev wallet button.
    expect(html).not.toContain('id="l402-devpay"');
    // A 2nd render gets a fresh nonce.
    const again = renderPaymentPage({
      req: new Request('http://localhost/joke'),
      challenge,
      status: 402,
      code: 'X',
    });
    expect(again.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('shows the refusal on 401 and renders msat prices', async () => {
    const res = renderPaymentPage({
      req: new Request('http://localhost/joke'),
      challenge: { ...challenge, amountMsat: 1_234_500n },
      status: 401,
      code: 'L402_INVALID_PREIMAGE',
      devPay: true,
    });
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('1,234.5 <small>sats</small>');
    expect(html).toContain('not accepted (L402_INVALID_PREIMAGE)');
    expect(html).toContain('id="l402-devpay"');
  });

  it('draws exactly the modules of the QR code (path rows read back into a matrix)', () => {
    const text = `LIGHTNING:${challenge.invoice.toUpperCase()}`;
    const svg = qrSvg(text, { alphanumeric: true });
    const qr = qrcode(0, 'M');
    qr.addData(text, 'Alphanumeric');
    qr.make();
    const n = qr.getModuleCount();
    expect(svg).toContain(`viewBox="0 0 ${n + 8} ${n + 8}"`);
    const d = /<path [^>]*d="([^"]+)"/.exec(svg)![1]!;
    const dark = new Set<string>();
    let x = 0;
    let y = 0;
    for (const [, cmd, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
      if (cmd === 'M') [x, y] = [Number(a), Number(b) - 0.5];
      else if (cmd === 'm') x += Number(a);
      else for (let k = 0; k < Number(a); k++) dark.add(`${y - 4},${x++ - 4}`);
    }
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) expect(dark.has(`${r},${c}`), `module ${r},${c}`).toBe(qr.isDark(r, c));
    expect(dark.size).toBeGreaterThan(0);
    expect(svg.length).toBeLessThan(12_000);
    expect(() => qrSvg('')).toThrow(/text/);
  });

  it('the invoice status endpoint answers the page: open, then settled with the preimage', async () => {
    const node = new DevNode({ production: false });
    try {
      const pw = paywall(node);
      const page = await pw.handle(
        new Request('http://localhost/joke', { headers: { accept: 'text/html' } }),
        handler,
      );
      const hash = /data-hash="([0-9a-f]{64})"/.exec(await page.text())![1]!;
      const status = async (h: string) =>
        pw.handle(new Request(`http://localhost/.well-known/l402/invoices/${h}`), handler);
      const open = await status(hash);
      expect(await open.json()).toEqual({ state: 'open', preimage: null });
      const inv = (await node.lookupInvoice(hash)).paymentRequest!;
      const dev = await pw.handle(
        new Request('http://localhost/.well-known/l402/dev-pay', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ invoice: inv }),
        }),
        handler,
      );
      const { preimage } = (await dev.json()) as { preimage: string };
      expect(await (await status(hash)).json()).toEqual({ state: 'settled', preimage });
      expect((await status('cd'.repeat(32))).status).toBe(404);
      expect((await status('nothex')).status).toBe(400);
    } finally {
      await node.close();
    }
  });

  it('the browser script parses, and the page modules import nothing from node:', () => {
    expect(() => new Function(PAYMENT_PAGE_SCRIPT)).not.toThrow();
    for (const f of ['page.ts', 'page-script.ts']) {
      const src = readFileSync(fileURLToPath(new URL(`../src/${f}`, import.meta.url)), 'utf8');
      expect(src).not.toMatch(/from ['"]node:/);
    }
  });

  it('the Paywall answers browsers with the page, others with JSON, and not at all with paymentPage: false', async () => {
    const node = new DevNode({ production: false });
    try {
      const html = { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } };
      const pw = paywall(node, { wellKnownBase: '/l402' });
      const page = await pw.handle(new Request('http://localhost/joke', html), handler);
      expect(page.status).toBe(402);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('www-authenticate')).toMatch(/^L402 /);
      expect(page.headers.get('x-farebox-dev-wallet')).toBe('/l402/dev-pay');
      const body = await page.text();
      expect(body).toContain('data-base="/l402"');
      // A real dev-node invoice and macaroon: the whole page stays small.
      expect(new TextEncoder().encode(body).length).toBeLessThan(30_000);
      const json = await pw.handle(new Request('http://localhost/joke'), handler);
      expect(json.headers.get('content-type')).toContain('application/json');
      const off = await paywall(node, { paymentPage: false }).handle(
        new Request('http://localhost/joke', html),
        handler,
      );
      expect(off.status).toBe(402);
      expect(off.headers.get('content-type')).toContain('application/json');
    } finally {
      await node.close();
    }
  });
});
