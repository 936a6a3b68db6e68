/**
 * The MCP server's host allow-list (`FAREBOX_ALLOW_HOSTS`, read by `loadConfig` and applied
 * by `toolkitFromConfig`), in process over Streamable HTTP with the SDK's own client: a shop
 * whose host is not on the list is never paid (l402_fetch is refused with HOST_NOT_ALLOWED,
 * l402_quote and l402_discover are refused without calling it, and a redirect to it is
 * refused), and a listed host is paid as usual. Two shops on the dev node, on two loopback
 * ports: the list names one `host:port`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevNode, type InvoiceIssuer } from '@farebox/lightning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFareboxMcpServer, loadConfig, serveMcpHttp, toolkitFromConfig } from '../src/index.js';
import { httpClient, type TestClient } from './support/mcp-client.js';
import { type Shop, startShop } from './support/shop.js';

const TOKEN = 'allow-hosts-test-token-0123456789';

/** The dev node as an invoice issuer that records the payment hash of every invoice it makes. */
function recording(node: DevNode): { issuer: InvoiceIssuer; issued: string[] } {
  const issued: string[] = [];
  const issuer = new Proxy(node, {
    get(target, prop) {
      if (prop === 'createInvoice') {
        return async (...args: Parameters<DevNode['createInvoice']>) => {
          const inv = await target.createInvoice(...args);
          issued.push(inv.paymentHash);
          return inv;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { issuer, issued };
}

describe('farebox mcp: FAREBOX_ALLOW_HOSTS', () => {
  const node = new DevNode({ production: false });
  const listedLn = recording(node);
  const otherLn = recording(node);
  let listed: Shop;
  let other: Shop;
  let listedHost = '';
  let otherHost = '';
  let t: TestClient;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    listed = await startShop({ lightning: listedLn.issuer, devWallet: node, title: 'listed shop' });
    other = await startShop({ lightning: otherLn.issuer, devWallet: node, title: 'other shop' });
    closers.push(listed.close, other.close, () => node.close());
    listedHost = new URL(listed.base).host;
    otherHost = new URL(other.base).host;
    expect(otherHost).not.toBe(listedHost);
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-allow-'));
    // As an MCP client's "env" block would set it: a list, one entry the listed shop's host:port.
    const cfg = await loadConfig({
      env: {
        FAREBOX_HOME: home,
        FAREBOX_ALLOW_HOSTS: ` api.example.com , ${listedHost} `,
        FAREBOX_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    expect(cfg.allowHosts).toEqual(['api.example.com', listedHost]);
    const toolkit = toolkitFromConfig(cfg);
    const s = await serveMcpHttp({
      token: TOKEN,
      port: 0,
      createServer: () => createFareboxMcpServer(toolkit),
    });
    closers.unshift(s.close, () => toolkit.close());
    t = await httpClient(s.url, TOKEN);
    closers.unshift(() => t.close());
  });

  afterAll(async () => {
    for (const c of closers) await c();
  });

  /** Asserts no invoice of the other shop was paid. */
  async function otherShopUnpaid(): Promise<void> {
    for (const h of otherLn.issued) expect((await node.lookupInvoice(h)).state).not.toBe('settled');
  }

  it('l402_budget reports the allow-list', async () => {
    const b = await t.call('l402_budget');
    expect(b.isError).toBe(false);
    expect(b.data.limits.allow_hosts).toEqual(['api.example.com', listedHost]);
  });

  it('l402_fetch to a host not on the list: a HOST_NOT_ALLOWED tool error, nothing paid', async () => {
    const r = await t.call('l402_fetch', { url: `${other.base}/joke` });
    expect(r.isError).toBe(true);
    expect(r.data.outcome).toBe('refused');
    expect(r.data.error.code).toBe('HOST_NOT_ALLOWED');
    expect(r.data.error.data).toEqual({ host: otherHost });
    expect(r.data.message).toBe(`Refused: host ${otherHost} is not on the allow-list. Nothing was paid.`);
    expect(r.text).toContain('not on the allow-list');
    expect(r.data.paid).toEqual([]);
    expect(r.data.status).toBeUndefined(); // no answer was returned as if it were served
    // The shop was never called: no request, no invoice.
    expect(other.hits()).toBe(0);
    expect(otherLn.issued).toHaveLength(0);
    const receipts = await t.call('l402_receipts');
    expect(receipts.data).toMatchObject({ count: 0, total_sats: 0 });
  });

  it('l402_fetch with a POST body to a host not on the list is refused too', async () => {
    const r = await t.call('l402_fetch', { url: `${other.base}/translate`, body: { text: 'sats' } });
    expect(r.isError).toBe(true);
    expect(r.data.error.code).toBe('HOST_NOT_ALLOWED');
    expect(r.data.paid).toEqual([]);
    await otherShopUnpaid();
  });

  it('l402_quote to a host not on the list: refused without calling it', async () => {
    const q = await t.call('l402_quote', { url: `${other.base}/joke` });
    expect(q.isError).toBe(true);
    expect(q.data.outcome).toBe('refused');
    expect(q.data.error.code).toBe('HOST_NOT_ALLOWED');
    expect(q.data.message).toBe(`Refused: host ${otherHost} is not on the allow-list`);
    expect(otherLn.issued).toHaveLength(0);
    expect((await t.call('l402_receipts')).data.count).toBe(0);
  });

  it('a listed host redirecting to a host not on the list: refused at the redirect', async () => {
    const to = encodeURIComponent(`${other.base}/joke`);
    const r = await t.call('l402_fetch', { url: `${listed.base}/redirect?to=${to}` });
    expect(r.isError).toBe(true);
    expect(r.data.error.code).toBe('HOST_NOT_ALLOWED');
    expect(other.hits()).toBe(0);
  });

  it('l402_discover of a host not on the list is refused without calling it', async () => {
    const d = await t.call('l402_discover', { url_or_domain: other.base });
    expect(d.data.outcome).toBe('refused');
    expect(d.data.error.code).toBe('HOST_NOT_ALLOWED');
    expect(other.hits()).toBe(0);
  });

  it('a listed host is quoted within the budget and paid by l402_fetch', async () => {
    const q = await t.call('l402_quote', { url: `${listed.base}/joke` });
    expect(q.isError).toBe(false);
    expect(q.data).toMatchObject({
      outcome: 'ok',
      payment_required: true,
      price_sats: 21,
      within_budget: true,
    });
    expect(q.data.budget_problem).toBeUndefined();

    const r = await t.call('l402_fetch', { url: `${listed.base}/joke` });
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ outcome: 'ok', status: 200 });
    expect(r.data.body.json.joke).toMatch(/channel/);
    expect(r.data.paid).toHaveLength(1);
    expect(r.data.paid[0]).toMatchObject({ sats: 21, host: listedHost, method: 'GET', path: '/joke' });
    // The listed shop's invoice was settled.
    const settled = await Promise.all(listedLn.issued.map((h) => node.lookupInvoice(h)));
    expect(settled.filter((s) => s.state === 'settled')).toHaveLength(1);

    const receipts = await t.call('l402_receipts');
    expect(receipts.data.count).toBe(1);
    expect(receipts.data.payments[0]).toMatchObject({ host: listedHost, sats: 21 });
    await otherShopUnpaid();
  });
});
