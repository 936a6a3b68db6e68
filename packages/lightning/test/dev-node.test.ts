import { decodeInvoice, randomBytes, sha256, toHex } from '@farebox/core';
import { describe, expect, it } from 'vitest';
import { DevNode, sats } from '../src/index.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('dev node', () => {
  it('issues real signed regtest invoices and pays them, revealing the preimage', async () => {
    const node = new DevNode({ production: false });
    const inv = await node.createInvoice({ amountMsat: sats(21), memo: 'a joke', expirySeconds: 300 });
    const decoded = decodeInvoice(inv.paymentRequest);
    expect(decoded.network).toBe('regtest');
    expect(decoded.payee).toBe(node.pubkey);
    expect(decoded.amountMsat).toBe(21_000n);
    expect(decoded.description).toBe('a joke');
    expect((await node.lookupInvoice(inv.paymentHash)).state).toBe('open');
    const waiting = node.waitForInvoice(inv.paymentHash, { timeoutMs: 5000 });
    const before = (await node.getBalance()).balanceMsat;
    const paid = await node.payInvoice(inv.paymentRequest);
    expect(toHex(sha256(Uint8Array.from(Buffer.from(paid.preimage, 'hex'))))).toBe(inv.paymentHash);
    expect(paid.feeMsat).toBe(0n);
    const settled = await waiting;
    expect(settled.state).toBe('settled');
    expect(settled.preimage).toBe(paid.preimage);
    expect((await node.getBalance()).balanceMsat).toBe(before - 21_000n);
    expect(await code(node.payInvoice(inv.paymentRequest))).toBe('LN_ALREADY_PAID');
    await node.close();
  });

  it('two dev nodes in one process pay each other', async () => {
    const seller = new DevNode({ production: false });
    const buyer = new DevNode({ production: false, balanceMsat: sats(100) });
    const inv = await seller.createInvoice({ amountMsat: sats(60) });
    await buyer.payInvoice(inv.paymentRequest);
    expect((await buyer.getBalance()).balanceMsat).toBe(sats(40));
    const inv2 = await seller.createInvoice({ amountMsat: sats(60) });
    expect(await code(buyer.payInvoice(inv2.paymentRequest))).toBe('LN_INSUFFICIENT_BALANCE');
    expect((await seller.lookupInvoice(inv2.paymentHash)).state).toBe('open');
    await seller.close();
    await buyer.close();
  });

  it('expired invoices cannot be paid; unknown hashes are LN_NOT_FOUND', async () => {
    let now = 1_800_000_000;
    const node = new DevNode({ production: false, now: () => now });
    const inv = await node.createInvoice({ amountMsat: sats(1), expirySeconds: 60 });
    now += 61;
    expect((await node.lookupInvoice(inv.paymentHash)).state).toBe('expired');
    expect(await code(node.payInvoice(inv.paymentRequest))).toBe('LN_INVOICE_EXPIRED');
    expect(await code(node.lookupInvoice('00'.repeat(32)))).toBe('LN_NOT_FOUND');
    await node.close();
  });

  it('hold invoices: accepted when paid, then settled (payer gets the preimage) or canceled (payer refunded)', async () => {
    const node = new DevNode({ production: false, balanceMsat: sats(1000) });
    const preimage = toHex(randomBytes(32));
    const hash = toHex(sha256(Buffer.from(preimage, 'hex')));
    const inv = await node.createHoldInvoice({ amountMsat: sats(10), paymentHash: hash });
    const paying = node.payInvoice(inv.paymentRequest);
    const accepted = await node.waitForInvoice(hash, { timeoutMs: 2000 });
    expect(accepted.state).toBe('accepted');
    await node.settleHoldInvoice(preimage);
    expect((await paying).preimage).toBe(preimage);
    expect((await node.lookupInvoice(hash)).state).toBe('settled');

    const pre2 = randomBytes(32);
    const inv2 = await node.createHoldInvoice({ amountMsat: sats(10), paymentHash: toHex(sha256(pre2)) });
    const paying2 = node.payInvoice(inv2.paymentRequest);
    await node.waitForInvoice(inv2.paymentHash, { timeoutMs: 2000 });
    const before = (await node.getBalance()).balanceMsat;
    await node.cancelHoldInvoice(inv2.paymentHash);
    expect(await code(paying2)).toBe('LN_PAYMENT_FAILED');
    expect((await node.getBalance()).balanceMsat).toBe(before + sats(10));
    await node.close();
  });

  it('lookupPayment: succeeded with the preimage, failed for a hash never paid, INVALID_ARGUMENT for a bad hash', async () => {
    const seller = new DevNode({ production: false });
    const buyer = new DevNode({ production: false, balanceMsat: sats(100) });
    const inv = await seller.createInvoice({ amountMsat: sats(10) });
    expect(await buyer.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' }); // not paid yet
    const paid = await buyer.payInvoice(inv.paymentRequest);
    const found = await buyer.lookupPayment(inv.paymentHash.toUpperCase());
    expect(found).toEqual({ state: 'succeeded', preimage: paid.preimage });
    expect(toHex(sha256(Buffer.from(found.preimage!, 'hex')))).toBe(inv.paymentHash);
    // a refused second attempt does not change what the first one did
    expect(await code(buyer.payInvoice(inv.paymentRequest))).toBe('LN_ALREADY_PAID');
    expect(await buyer.lookupPayment(inv.paymentHash)).toEqual(found);
    // the seller received it but never paid it; a hash nobody knows
    expect(await seller.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' });
    expect(await buyer.lookupPayment(toHex(randomBytes(32)))).toEqual({ state: 'failed' });
    // a payment refused before any money moved (balance too low) leaves nothing to find
    const big = await seller.createInvoice({ amountMsat: sats(1000) });
    expect(await code(buyer.payInvoice(big.paymentRequest))).toBe('LN_INSUFFICIENT_BALANCE');
    expect(await buyer.lookupPayment(big.paymentHash)).toEqual({ state: 'failed' });
    for (const bad of ['abc', 'zz'.repeat(32), '']) {
      expect(await code(buyer.lookupPayment(bad))).toBe('INVALID_ARGUMENT');
    }
    await seller.close();
    await buyer.close();
  });

  it('lookupPayment of a held payment: pending while held, then succeeded (settled) or failed (canceled)', async () => {
    const node = new DevNode({ production: false, balanceMsat: sats(1000) });
    const preimage = toHex(randomBytes(32));
    const hash = toHex(sha256(Buffer.from(preimage, 'hex')));
    const inv = await node.createHoldInvoice({ amountMsat: sats(10), paymentHash: hash });
    const paying = node.payInvoice(inv.paymentRequest);
    await node.waitForInvoice(hash, { timeoutMs: 2000 });
    expect(await node.lookupPayment(hash)).toEqual({ state: 'pending' });
    await node.settleHoldInvoice(preimage);
    await paying;
    expect(await node.lookupPayment(hash)).toEqual({ state: 'succeeded', preimage });

    const hash2 = toHex(sha256(randomBytes(32)));
    const inv2 = await node.createHoldInvoice({ amountMsat: sats(10), paymentHash: hash2 });
    const paying2 = node.payInvoice(inv2.paymentRequest);
    await node.waitForInvoice(hash2, { timeoutMs: 2000 });
    expect(await node.lookupPayment(hash2)).toEqual({ state: 'pending' });
    await node.cancelHoldInvoice(hash2);
    expect(await code(paying2)).toBe('LN_PAYMENT_FAILED');
    expect(await node.lookupPayment(hash2)).toEqual({ state: 'failed' });
    await node.close();
  });

  it('waitForInvoice times out with LN_TIMEOUT', async () => {
    const node = new DevNode({ production: false });
    const inv = await node.createInvoice({ amountMsat: sats(1) });
    expect(await code(node.waitForInvoice(inv.paymentHash, { timeoutMs: 50 }))).toBe('LN_TIMEOUT');
    await node.close();
  });

  it('refuses to start in production unless explicitly allowed, and says it is not real money', async () => {
    expect(() => new DevNode({ production: true })).toThrow(
      expect.objectContaining({ code: 'LN_DEV_IN_PRODUCTION' }),
    );
    const node = new DevNode({ production: true, allowInProduction: true });
    expect(node.notice).toBe('dev node: no real money');
    expect(await node.getInfo()).toMatchObject({ backend: 'dev', dev: true, network: 'regtest' });
    await node.close();
  });

  it('cannot pay invoices of other nodes', async () => {
    const node = new DevNode({ production: false });
    const other = new DevNode({ production: false });
    const inv = await other.createInvoice({ amountMsat: sats(1) });
    await other.close();
    expect(await code(node.payInvoice(inv.paymentRequest))).toBe('LN_NO_ROUTE');
    await node.close();
  });
});
