import { randomBytes, sha256, toHex } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevNode, DevNodeClient, devNodeHandler, sats } from '../src/index.js';
import { listen } from '../src/node/serve.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('dev node over HTTP (another process pays it)', () => {
  const node = new DevNode({ production: false, balanceMsat: sats(1000) });
  let srv: Awaited<ReturnType<typeof listen>>;
  let client: DevNodeClient;

  beforeAll(async () => {
    srv = await listen(devNodeHandler(node, { token: 'tok' }));
    client = new DevNodeClient({ url: srv.url, token: 'tok' });
  });
  afterAll(async () => {
    await srv.close();
    await node.close();
  });

  it('issues, pays, waits and looks up through the HTTP endpoint', async () => {
    const inv = await client.createInvoice({ amountMsat: sats(21), memo: 'x' });
    expect(inv.amountMsat).toBe(21_000n);
    const waiting = client.waitForInvoice(inv.paymentHash, { timeoutMs: 5000 });
    const paid = await client.payInvoice(inv.paymentRequest);
    expect(toHex(sha256(Buffer.from(paid.preimage, 'hex')))).toBe(inv.paymentHash);
    expect((await waiting).state).toBe('settled');
    expect((await client.lookupInvoice(inv.paymentHash)).preimage).toBe(paid.preimage);
    expect((await client.getBalance()).balanceMsat).toBe(sats(979));
    expect((await client.getInfo()).dev).toBe(true);
  });

  it('typed errors cross the wire', async () => {
    const inv = await node.createInvoice({ amountMsat: sats(1) });
    await client.payInvoice(inv.paymentRequest);
    expect(await code(client.payInvoice(inv.paymentRequest))).toBe('LN_ALREADY_PAID');
    expect(await code(client.lookupInvoice('00'.repeat(32)))).toBe('LN_NOT_FOUND');
    expect(await code(client.createInvoice({ amountMsat: -1n }))).toBe('INVALID_ARGUMENT');
  });

  it('lookupPayment through the HTTP endpoint: succeeded, pending, failed, unknown, bad hash', async () => {
    const inv = await node.createInvoice({ amountMsat: sats(2) });
    const paid = await client.payInvoice(inv.paymentRequest);
    expect(await client.lookupPayment(inv.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: paid.preimage,
    });
    expect(await client.lookupPayment('00'.repeat(32))).toEqual({ state: 'failed' });
    const preimage = toHex(randomBytes(32));
    const hash = toHex(sha256(Buffer.from(preimage, 'hex')));
    const held = await client.createHoldInvoice({ amountMsat: sats(3), paymentHash: hash });
    const paying = client.payInvoice(held.paymentRequest);
    await client.waitForInvoice(hash, { timeoutMs: 5000 });
    expect(await client.lookupPayment(hash)).toEqual({ state: 'pending' });
    await client.cancelHoldInvoice(hash);
    expect(await code(paying)).toBe('LN_PAYMENT_FAILED');
    expect(await client.lookupPayment(hash)).toEqual({ state: 'failed' });
    expect(await code(client.lookupPayment('abc'))).toBe('INVALID_ARGUMENT');
    expect(await code(client.lookupPayment('../info'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses a wrong token', async () => {
    const stranger = new DevNodeClient({ url: srv.url, token: 'nope' });
    expect(await code(stranger.getBalance())).toBe('LN_UNAUTHORIZED');
  });

  it('unreachable endpoint is LN_UNREACHABLE', async () => {
    const gone = new DevNodeClient({ url: 'http://127.0.0.1:9', token: 'tok', timeoutMs: 2000 });
    expect(await code(gone.getInfo())).toBe('LN_UNREACHABLE');
  });
});
