/**
 * `farebox fetch` pays real regtest invoices: a farebox server issues with bob's lnd; the
 * CLI pays through alice's lnd (REST and gRPC connection strings) and through Nostr Wallet
 * Connect (a loopback relay and a NIP-47 wallet service backed by alice's lnd).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnection } from '@farebox/lightning';
import { LndRest } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lndOf } from '../../lightning/test/support/lnd-rest-mini.js';
import { TestNwcWallet } from '../../lightning/test/support/nwc-wallet.js';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from '../../lightning/test/support/regtest.js';
import { startRelay, type TestRelay } from '../../lightning/test/support/relay.js';
import { main } from '../src/main.js';

async function cli(args: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env });
  return { code, out, err };
}

describe('farebox fetch on the real regtest network', () => {
  let env: RegtestEnv;
  let base = '';
  let home = '';
  let relay: TestRelay;
  let wallet: TestNwcWallet;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    env = await regtest();
    const cfg = parseConnection(env.BOB_CONNECTION!);
    if (cfg.type !== 'lnd') throw new Error('BOB_CONNECTION is not lnd');
    const bob = await LndRest.fromConnection(cfg);
    const paywall = new Paywall({
      secret: new Uint8Array(32).fill(8),
      lightning: bob,
      routes: [
        { method: 'GET', path: '/weather', price: 3, description: 'the weather' },
        { method: 'POST', path: '/echo', price: 2 },
      ],
    });
    const s = await serve(paywall, async (req) =>
      Response.json({
        path: new URL(req.url).pathname,
        body: req.method === 'POST' ? await req.text() : null,
      }),
    );
    base = s.url;
    closers.push(s.close, () => bob.close());
    home = await mkdtemp(join(tmpdir(), 'farebox-cli-regtest-'));
    relay = await startRelay();
    wallet = await new TestNwcWallet({ relayUrl: relay.url, lnd: lndOf(env, 'alice') }).start();
    closers.push(
      () => wallet.stop(),
      () => relay.stop(),
    );
  }, REGTEST_UP_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('pays through alice over lnd REST', async () => {
    const r = await cli(['fetch', '--wallet', env.ALICE_CONNECTION!, `${base}/weather`], {
      FAREBOX_HOME: home,
    });
    expect(r.err).toMatch(/paid 3 sats \(fee \d+(\.\d+)?\) to 127\.0\.0\.1:\d+ for GET \/weather/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ path: '/weather', body: null });
  });

  it('pays through alice over lnd gRPC, with a JSON body', async () => {
    const r = await cli(
      ['fetch', '--wallet', env.ALICE_GRPC_CONNECTION!, '-d', '{"x":1}', '--json', `${base}/echo`],
      {
        FAREBOX_HOME: home,
      },
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.status).toBe(200);
    expect(j.body).toEqual({ path: '/echo', body: '{"x":1}' });
    expect(j.paid[0].sats).toBe(2);
  });

  it('pays through Nostr Wallet Connect (FAREBOX_WALLET)', async () => {
    const r = await cli(['fetch', `${base}/weather`], { FAREBOX_HOME: home, FAREBOX_WALLET: wallet.uri() });
    expect(r.code).toBe(0);
    expect(r.err).toContain('paid 3 sats');
    expect(wallet.requests.some((q) => q.method === 'pay_invoice')).toBe(true);
  });

  it('receipts list the three payments with their hashes', async () => {
    const r = await cli(['receipts', '--json'], { FAREBOX_HOME: home });
    const j = JSON.parse(r.out);
    expect(j.count).toBe(3);
    expect(j.totalSats).toBe(8);
    for (const x of j.receipts) expect(x.paymentHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
