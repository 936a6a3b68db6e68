/**
 * A payment that started but was never seen to end never leads to a second payment: the
 * client process killed inside the wallet's payInvoice (the money left, the preimage never
 * reached the client), a wallet that timed out, and parallel calls sharing one payment.
 * Real HTTP against a farebox server on the dev node; the crashing client is a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, FareboxError } from '@farebox/core';
import { DevNode, devNodeHandler, type Payer, sats } from '@farebox/lightning';
import { listen } from '@farebox/lightning/node';
import { Paywall } from '@farebox/server';
import { serve } from '@farebox/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L402Client, PENDING_GRACE_SECONDS } from '../src/index.js';
import { FileClientStore } from '../src/node/index.js';

/** The seller's clock: a test moves it (and the client's) past an invoice's expiry. */
let shiftMs = 0;
const clock = () => Date.now() + shiftMs;
const node = new DevNode({ production: false, balanceMsat: sats(100_000) });
const seller = new DevNode({ production: false, now: () => Math.floor(clock() / 1000) }); // seconds
let base = '';
let nodeUrl = '';
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const paywall = new Paywall({
    secret: new Uint8Array(32).fill(9),
    lightning: seller,
    now: clock,
    invoiceExpirySeconds: 600,
    routes: [
      { method: 'GET', path: '/song', price: 50 },
      { method: 'GET', path: '/pass', price: 7, policy: { type: 'pass', validSeconds: 3600 } },
    ],
  });
  const s = await serve(paywall, async () => Response.json({ song: 'la la' }));
  const n = await listen(devNodeHandler(node, { token: 'wallet-token' }));
  base = s.url;
  nodeUrl = n.url;
  closers.push(s.close, n.close);
});
afterAll(async () => {
  for (const c of closers) await c();
  await node.close();
  await seller.close();
});

/** Runs the crashing client; resolves when it has died. */
async function crashDuringPay(url: string, storePath: string): Promise<void> {
  const child = fileURLToPath(new URL('./support/crash-child.mjs', import.meta.url));
  const out = await new Promise<{ signal: string | null; stdout: string }>((resolve) => {
    const p = execFile(
      process.execPath,
      [child, url, nodeUrl, 'wallet-token', storePath, 'during-pay'],
      (_e, stdout) => resolve({ signal: p.signalCode, stdout }),
    );
  });
  expect(out.signal).toBe('SIGKILL');
  expect(out.stdout).toContain('paid; dying before the client sees the preimage');
}

/** The dev node as a payer, counting payInvoice calls, with or without lookupPayment. */
function wallet(lookup: boolean): Payer & { pays: number } {
  const w: Payer & { pays: number } = {
    backend: node.backend,
    pays: 0,
    payInvoice: async (pr, o) => {
      w.pays++;
      return node.payInvoice(pr, o);
    },
    getBalance: () => node.getBalance(),
  };
  if (lookup) w.lookupPayment = (hash, o) => node.lookupPayment!(hash, o);
  return w;
}

async function failure(p: Promise<unknown>): Promise<FareboxError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FareboxError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('killed inside payInvoice: the money left, the preimage never reached the client', () => {
  it('with a wallet that looks payments up: the next run recovers the preimage and pays nothing', async () => {
    const storePath = join(await mkdtemp(join(tmpdir(), 'farebox-pending-')), 'client.json');
    await crashDuringPay(`${base}/song`, storePath);
    const saved = JSON.parse(await readFile(storePath, 'utf8'));
    expect(saved.pending).toHaveLength(1);
    expect(saved.receipts).toHaveLength(0);
    const balance = (await node.getBalance()).balanceMsat;

    const w = wallet(true);
    const client = new L402Client({ wallet: w, store: new FileClientStore(storePath) });
    const res = await client.fetch(`${base}/song`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ song: 'la la' });
    expect(w.pays).toBe(0);
    expect((await node.getBalance()).balanceMsat).toBe(balance);
    const r = await client.receipts();
    expect(r.count).toBe(1);
    expect(r.receipts[0]!.paymentHash).toBe(saved.pending[0].paymentHash);
  });

  it('with a wallet that cannot: PAYMENT_PENDING and no second payment, counted as spent; after the invoice expired, an unknown receipt and a new payment', async () => {
    const storePath = join(await mkdtemp(join(tmpdir(), 'farebox-pending-')), 'client.json');
    await crashDuringPay(`${base}/song`, storePath);
    const pendingHash = JSON.parse(await readFile(storePath, 'utf8')).pending[0].paymentHash as string;

    const w = wallet(false);
    const client = new L402Client({
      wallet: w,
      store: new FileClientStore(storePath),
      budget: { totalSats: 120 },
      now: clock,
    });
    const e = await failure(client.fetch(`${base}/song`));
    expect(e.code).toBe(ErrorCodes.PAYMENT_PENDING);
    expect(e.data).toMatchObject({ paymentHash: pendingHash, amountSats: 50, walletCanLookUp: false });
    expect(w.pays).toBe(0);
    // The payment that may have gone through counts against the budget.
    expect((await client.remaining()).totalSats).toBe(70);

    // Past the invoice's expiry and the grace period: kept as spent, and the call pays anew.
    shiftMs = (600 + PENDING_GRACE_SECONDS + 1) * 1000;
    try {
      const res = await client.fetch(`${base}/song`);
      expect(res.status).toBe(200);
      expect(w.pays).toBe(1);
      const r = await client.receipts();
      expect(r.receipts.map((x) => x.status).sort()).toEqual(['paid', 'unknown']);
      expect(r.receipts.find((x) => x.status === 'unknown')!.paymentHash).toBe(pendingHash);
      expect((await client.remaining()).totalSats).toBe(20);
      // The budget holds: another 50 would pass the 120 total.
      expect((await failure(client.fetch(`${base}/song`))).code).toBe(ErrorCodes.BUDGET_EXCEEDED);
    } finally {
      shiftMs = 0;
    }
  });
});

describe('a wallet that says a payment succeeded but kept no preimage', () => {
  it('the lost payment is kept as an unknown receipt, counted as spent, and the call pays anew', async () => {
    const storePath = join(await mkdtemp(join(tmpdir(), 'farebox-pending-')), 'client.json');
    await crashDuringPay(`${base}/song`, storePath);
    const lost = JSON.parse(await readFile(storePath, 'utf8')).pending[0].paymentHash as string;
    const w = wallet(true);
    w.lookupPayment = async () => ({ state: 'succeeded' });
    const client = new L402Client({ wallet: w, store: new FileClientStore(storePath) });
    const res = await client.fetch(`${base}/song`);
    expect(res.status).toBe(200);
    expect(w.pays).toBe(1);
    const r = await client.receipts();
    expect(r.receipts.find((x) => x.paymentHash === lost)?.status).toBe('unknown');
    expect(r.totalSats).toBe(100);
  });
});

describe('a wallet that timed out while the payment went through', () => {
  it('the next call asks the wallet, finds the payment, and uses it', async () => {
    let timeOut = true;
    const inner = wallet(true);
    const w: Payer & { pays: number } = {
      ...inner,
      payInvoice: async (pr, o) => {
        const paid = await inner.payInvoice(pr, o);
        if (timeOut) {
          timeOut = false;
          throw new FareboxError(ErrorCodes.LN_TIMEOUT, 'the payment did not finish in time');
        }
        return paid;
      },
      get pays() {
        return inner.pays;
      },
    };
    const client = new L402Client({ wallet: w });
    const first = await failure(client.fetch(`${base}/song`));
    expect(first.code).toBe(ErrorCodes.PAYMENT_FAILED);
    expect(first.data).toMatchObject({ reason: ErrorCodes.LN_TIMEOUT });
    const res = await client.fetch(`${base}/song`);
    expect(res.status).toBe(200);
    expect(w.pays).toBe(1);
    expect((await client.receipts()).count).toBe(1);
  });
});

describe('parallel calls', () => {
  it('ten parallel calls to a pass route share one payment', async () => {
    const w = wallet(true);
    const client = new L402Client({ wallet: w });
    const all = await Promise.all(Array.from({ length: 10 }, () => client.fetch(`${base}/pass`)));
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(w.pays).toBe(1);
    expect((await client.receipts()).count).toBe(1);
  });

  it('parallel calls to a per-request route each pay for their own call', async () => {
    const w = wallet(true);
    const client = new L402Client({ wallet: w });
    const all = await Promise.all(Array.from({ length: 4 }, (_, i) => client.fetch(`${base}/song?n=${i}`)));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(w.pays).toBe(4);
  });
});
