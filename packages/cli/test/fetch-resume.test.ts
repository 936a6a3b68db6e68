/**
 * `farebox fetch` after a run that died inside the wallet's payment (the money left, the
 * preimage never reached the client): with a wallet that can look payments up, the next run
 * recovers the paid token and pays nothing; with the dev wallet (which cannot), it stops with
 * PAYMENT_PENDING and pays nothing. The dying run is a child process killed mid-payment.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevNode, devNodeHandler, sats } from '@farebox/lightning';
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

const seller = new DevNode({ production: false });
const payer = new DevNode({ production: false, balanceMsat: sats(10_000) });
let base = '';
let walletUrl = '';
let wallet = '';
let served = 0;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(12),
    lightning: seller,
    devWallet: seller,
    routes: [{ method: 'GET', path: '/song', price: 40 }],
  });
  const s = await serve(paywall, async () => {
    served++;
    return Response.json({ song: 'la la' });
  });
  const w = await listen(devNodeHandler(payer, { token: 'pay-token' }));
  base = s.url;
  walletUrl = w.url;
  wallet = `dev+http://${new URL(w.url).host}?token=pay-token`;
  closers.push(s.close, w.close);
});
afterAll(async () => {
  for (const c of closers) await c();
  await seller.close();
  await payer.close();
});

/** The crashing client (packages/client/test/support/crash-child.mjs), on FAREBOX_HOME's store. */
async function dieWhilePaying(home: string): Promise<void> {
  const child = fileURLToPath(new URL('../../client/test/support/crash-child.mjs', import.meta.url));
  const signal = await new Promise<string | null>((resolve) => {
    const p = execFile(
      process.execPath,
      [child, `${base}/song`, walletUrl, 'pay-token', join(home, 'client.json'), 'during-pay'],
      () => resolve(p.signalCode),
    );
  });
  expect(signal).toBe('SIGKILL');
}

describe('farebox fetch after a run died while paying', () => {
  it('--wallet that looks payments up: the paid token is recovered, nothing is paid again', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    await dieWhilePaying(home);
    const balance = (await payer.getBalance()).balanceMsat;
    const before = served;
    const r = await cli(['fetch', `${base}/song`, '--wallet', wallet, '--json'], { FAREBOX_HOME: home });
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 200 });
    expect(served).toBe(before + 1);
    expect((await payer.getBalance()).balanceMsat).toBe(balance);
    const receipts = await cli(['receipts', '--json'], { FAREBOX_HOME: home });
    expect(JSON.parse(receipts.out)).toMatchObject({ count: 1 });
  });

  it('the dev wallet (cannot look payments up): PAYMENT_PENDING, nothing paid, nothing served', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-home-'));
    await dieWhilePaying(home);
    const before = served;
    const r = await cli(['fetch', `${base}/song`, '--json'], { FAREBOX_HOME: home });
    expect(r.code).not.toBe(0);
    expect(r.out + r.err).toContain('PAYMENT_PENDING');
    expect(served).toBe(before);
  });
});
