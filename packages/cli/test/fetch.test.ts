import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevNode, devNodeHandler } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function cli(args: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env });
  return { code, out, err };
}

describe('farebox fetch / receipts / budget against a farebox server (dev node, real HTTP)', () => {
  const node = new DevNode({ production: false });
  let base = '';
  let home = '';
  const closers: (() => Promise<void>)[] = [];
  let walletUrl = '';

  beforeAll(async () => {
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(5),
      lightning: node,
      devWallet: node,
      routes: [
        { method: 'GET', path: '/joke', price: 21, description: 'a joke' },
        { method: 'POST', path: '/echo', price: 2 },
        { method: 'GET', path: '/pricey', price: 5000 },
        { method: 'GET', path: '/missing', price: 1 },
      ],
    });
    const s = await serve(paywall, async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/missing') return new Response('gone', { status: 404 });
      return Response.json({ path, body: req.method === 'POST' ? await req.json() : null });
    });
    base = s.url;
    closers.push(s.close);
    const payer = new DevNode({ production: false });
    const w = await listen(devNodeHandler(payer, { token: 't' }));
    closers.push(w.close, () => payer.close());
    walletUrl = `dev+http://${new URL(w.url).host}?token=t`;
    home = await mkdtemp(join(tmpdir(), 'farebox-home-'));
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await node.close();
  });

  it('pays with the dev wallet the target advertises, prints the body and what was paid', async () => {
    const r = await cli(['fetch', `${base}/joke`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ path: '/joke', body: null });
    expect(r.err).toMatch(
      /paid 21 sats \(fee 0\) to 127\.0\.0\.1:\d+ for GET \/joke · dev wallet: no real money/,
    );
  });

  it('-X -H -d and --json', async () => {
    const r = await cli(
      ['fetch', '-X', 'POST', '-H', 'X-Test: 1', '-d', '{"a":1}', '--json', `${base}/echo`],
      { FAREBOX_HOME: home },
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.status).toBe(200);
    expect(j.body).toEqual({ path: '/echo', body: { a: 1 } });
    expect(j.paid[0].sats).toBe(2);
  });

  it('--wallet pays through another dev node over HTTP', async () => {
    const r = await cli(['fetch', '--wallet', walletUrl, `${base}/joke`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(r.err).toContain('paid 21 sats');
    expect(r.err).not.toContain('dev wallet: no real money');
  });

  it('--dry-run tells the price and pays nothing', async () => {
    const before = (await cli(['receipts', '--json'], { FAREBOX_HOME: home })).out;
    const r = await cli(['fetch', '--dry-run', `${base}/joke`], { FAREBOX_HOME: home });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/would pay 21 sats to 127\.0\.0\.1:\d+ \(regtest\) for GET \/joke/);
    expect((await cli(['receipts', '--json'], { FAREBOX_HOME: home })).out).toBe(before);
  });

  it('exit codes: 3 over budget, 5 HTTP error, 2 usage', async () => {
    const over = await cli(['fetch', '--max-sats', '100', `${base}/pricey`], { FAREBOX_HOME: home });
    expect(over.code).toBe(3);
    expect(over.err).toContain('BUDGET_EXCEEDED');
    const http = await cli(['fetch', `${base}/missing`], { FAREBOX_HOME: home });
    expect(http.code).toBe(5);
    expect((await cli(['fetch'], { FAREBOX_HOME: home })).code).toBe(2);
    expect((await cli(['fetch', '-H', 'bad', base], { FAREBOX_HOME: home })).code).toBe(2);
  });

  it('receipts and budget list what was paid and what is left', async () => {
    const r = await cli(['receipts', '--json'], { FAREBOX_HOME: home });
    const j = JSON.parse(r.out);
    expect(j.count).toBeGreaterThanOrEqual(4);
    expect(j.totalSats).toBe(
      j.receipts.reduce((s: number, x: { amountMsat: string }) => s + Number(x.amountMsat) / 1000, 0),
    );
    const text = await cli(['receipts'], { FAREBOX_HOME: home });
    expect(text.out).toMatch(/payment\(s\), \d+ sats/);
    const b = await cli(['budget', '--json'], { FAREBOX_HOME: home, FAREBOX_MAX_SATS_TOTAL: '100' });
    const bj = JSON.parse(b.out);
    expect(bj.limits.totalSats).toBe(100);
    expect(bj.remaining.totalSats).toBe(100 - j.totalSats);
  });
});
