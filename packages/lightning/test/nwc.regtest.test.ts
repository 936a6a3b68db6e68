/**
 * NwcBackend end to end: our loopback relay, our NIP-47 wallet service backed by alice's lnd,
 * and LNbits (on bob's lnd) on the other side of the channel. The suite runs for a wallet
 * that offers NIP-44 v2 and for a legacy NIP-04-only wallet (no `encryption` tag).
 */
import { randomBytes } from 'node:crypto';
import { decodeInvoice, sha256, toHex } from '@farebox/core';
import { generateSecretKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LnbitsBackend } from '../src/lnbits.js';
import { NwcBackend } from '../src/nwc/client.js';
import { sats } from '../src/types.js';
import { type LndRestMini, lnbitsOf, lndOf } from './support/lnd-rest-mini.js';
import { ALL_METHODS, type Encryption, TestNwcWallet } from './support/nwc-wallet.js';
import { REGTEST_UP_TIMEOUT_MS, type RegtestEnv, regtest } from './support/regtest.js';
import { startRelay, type TestRelay } from './support/relay.js';

const hashOf = (preimageHex: string) => toHex(sha256(Uint8Array.from(Buffer.from(preimageHex, 'hex'))));

async function error(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; data?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; data?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
const code = async (p: Promise<unknown>) => (await error(p)).code;

let env: RegtestEnv;
let alice: LndRestMini;
let lnbits: LnbitsBackend;
let relay: TestRelay;
const closers: (() => Promise<unknown> | undefined)[] = [];

beforeAll(async () => {
  env = await regtest();
  alice = lndOf(env, 'alice');
  const lb = lnbitsOf(env);
  lnbits = new LnbitsBackend({
    url: lb.url,
    key: lb.invoiceKey,
    adminKey: lb.adminKey,
  });
  relay = await startRelay();
}, REGTEST_UP_TIMEOUT_MS);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await relay?.stop();
});

async function wallet(
  o: Partial<ConstructorParameters<typeof TestNwcWallet>[0]> = {},
  at = relay,
): Promise<TestNwcWallet> {
  const w = await new TestNwcWallet({ relayUrl: at.url, lnd: alice, ...o }).start();
  closers.push(() => w.stop());
  return w;
}

function client(uri: string, timeoutMs = 30_000): NwcBackend {
  const c = new NwcBackend({ uri, WebSocket, timeoutMs });
  closers.push(() => c.close());
  return c;
}

const suites: {
  name: string;
  encryption: Encryption[];
  omitEncryptionTag: boolean;
  expect: Encryption;
  kind: number;
}[] = [
  {
    name: 'wallet offering nip44_v2',
    encryption: ['nip44_v2', 'nip04'],
    omitEncryptionTag: false,
    expect: 'nip44_v2',
    kind: 23197,
  },
  {
    name: 'legacy wallet: nip04 only, no encryption tag',
    encryption: ['nip04'],
    omitEncryptionTag: true,
    expect: 'nip04',
    kind: 23196,
  },
];

describe.each(suites)('NWC with a $name', (s) => {
  let w: TestNwcWallet;
  let nwc: NwcBackend;

  beforeAll(async () => {
    w = await wallet({ encryption: s.encryption, omitEncryptionTag: s.omitEncryptionTag });
    nwc = client(w.uri());
  });

  it('get_info and get_balance, with the negotiated encryption', async () => {
    const info = await nwc.getInfo();
    expect(info).toMatchObject({
      backend: 'nwc',
      network: 'regtest',
      pubkey: env.ALICE_PUBKEY,
      alias: 'alice',
    });
    expect(info.blockHeight).toBeGreaterThan(100);
    const { balanceMsat } = await nwc.getBalance();
    expect(balanceMsat).toBeGreaterThan(0n);
    expect(balanceMsat).toBe(await alice.channelBalanceMsat());
    expect(nwc.encryption).toBe(s.expect);
    expect(w.requests.map((r) => r.encryption)).toEqual([s.expect, s.expect]);
    // The request events on the relay say which encryption they use (none: NIP-04).
    const tags = relay.received
      .filter((e) => e.kind === 23194 && e.pubkey === nwc.clientPubkey)
      .map((e) => e.tags);
    for (const t of tags) {
      expect(t.find((x) => x[0] === 'encryption')?.[1]).toBe(
        s.expect === 'nip44_v2' ? 'nip44_v2' : undefined,
      );
      expect(t.find((x) => x[0] === 'p')?.[1]).toBe(w.walletPubkey);
      expect(Number(t.find((x) => x[0] === 'expiration')?.[1])).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('pays an LNbits invoice (bob side) and returns the preimage', async () => {
    const inv = await lnbits.createInvoice({ amountMsat: sats(300), memo: `nwc pays (${s.expect})` });
    const paid = await nwc.payInvoice(inv.paymentRequest);
    expect(paid.paymentHash).toBe(inv.paymentHash);
    expect(hashOf(paid.preimage)).toBe(inv.paymentHash);
    expect(paid.amountMsat).toBe(sats(300));
    const atLnbits = await lnbits.lookupInvoice(inv.paymentHash);
    expect(atLnbits.state).toBe('settled');
    expect(atLnbits.preimage).toBe(paid.preimage);
    expect(await code(nwc.payInvoice(inv.paymentRequest))).toBe('LN_ALREADY_PAID');
  });

  it('lookupPayment (lookup_invoice by hash): succeeded with the preimage after paying; failed for unknown hashes and own invoices', async () => {
    const inv = await lnbits.createInvoice({ amountMsat: sats(35), memo: `nwc lookupPayment (${s.expect})` });
    const paid = await nwc.payInvoice(inv.paymentRequest);
    const looked = await nwc.lookupPayment(inv.paymentHash);
    expect(looked).toEqual({ state: 'succeeded', preimage: paid.preimage });
    expect(hashOf(looked.preimage!)).toBe(inv.paymentHash);
    const asked = w.requests.length;
    expect(await nwc.lookupPayment(inv.paymentHash.toUpperCase())).toEqual(looked);
    expect(w.requests.slice(asked).map((r) => r.method)).toEqual(['lookup_invoice']);
    // The same transaction is an outgoing payment, not an invoice of the wallet.
    expect(await code(nwc.lookupInvoice(inv.paymentHash))).toBe('LN_NOT_FOUND');

    expect(await nwc.lookupPayment(toHex(sha256(randomBytes(32))))).toEqual({ state: 'failed' });
    const own = await nwc.createInvoice({ amountMsat: sats(2), memo: 'incoming' });
    expect(await nwc.lookupPayment(own.paymentHash)).toEqual({ state: 'failed' });
    expect(await code(nwc.lookupPayment('xyz'))).toBe('INVALID_ARGUMENT');
  });

  it('make_invoice, lookup_invoice, and the payment_received notification when LNbits pays', async () => {
    const inv = await nwc.createInvoice({ amountMsat: sats(25), memo: 'nwc invoice', expirySeconds: 900 });
    const decoded = decodeInvoice(inv.paymentRequest);
    expect(decoded.payee).toBe(env.ALICE_PUBKEY);
    expect(decoded.amountMsat).toBe(sats(25));
    expect(decoded.description).toBe('nwc invoice');
    expect(inv.expiresAt).toBe(decoded.timestamp + 900);
    expect((await nwc.lookupInvoice(inv.paymentHash)).state).toBe('open');

    // Polling every 60 s with a 45 s deadline: only the notification can resolve this.
    const waiting = nwc.waitForInvoice(inv.paymentHash, { timeoutMs: 45_000, pollIntervalMs: 60_000 });
    const paid = await lnbits.payInvoice(inv.paymentRequest);
    const settled = await waiting;
    expect(settled.state).toBe('settled');
    expect(settled.preimage).toBe(paid.preimage);
    expect(w.notified).toContainEqual({
      type: 'payment_received',
      paymentHash: inv.paymentHash,
      kind: s.kind,
    });

    const looked = await nwc.lookupInvoice(inv.paymentHash);
    expect(looked).toMatchObject({ state: 'settled', preimage: paid.preimage, amountPaidMsat: sats(25) });
  });

  it('hold invoices: accepted (notification), then settled or canceled', async () => {
    const preimage = randomBytes(32).toString('hex');
    const pre2 = randomBytes(32).toString('hex');
    try {
      await holdFlow(preimage, pre2);
    } finally {
      // Never leave an HTLC locked in the shared channel when an assertion fails.
      for (const p of [preimage, pre2]) await alice.cancelInvoice(hashOf(p)).catch(() => undefined);
    }
  });

  async function holdFlow(preimage: string, pre2: string): Promise<void> {
    const hold = await nwc.createHoldInvoice({
      amountMsat: sats(40),
      paymentHash: hashOf(preimage),
      memo: 'hold',
    });
    expect(decodeInvoice(hold.paymentRequest).paymentHash).toBe(hashOf(preimage));
    const paying = lnbits.payInvoice(hold.paymentRequest);
    paying.catch(() => undefined);
    const accepted = await nwc.waitForInvoice(hold.paymentHash, {
      timeoutMs: 45_000,
      pollIntervalMs: 60_000,
    });
    expect(accepted.state).toBe('accepted');
    await nwc.settleHoldInvoice(preimage);
    expect((await paying).preimage).toBe(preimage);
    expect((await nwc.lookupInvoice(hold.paymentHash)).state).toBe('settled');

    const hold2 = await nwc.createHoldInvoice({ amountMsat: sats(41), paymentHash: hashOf(pre2) });
    const paying2 = lnbits.payInvoice(hold2.paymentRequest);
    paying2.catch(() => undefined);
    expect((await nwc.waitForInvoice(hold2.paymentHash, { timeoutMs: 45_000 })).state).toBe('accepted');
    await nwc.cancelHoldInvoice(hold2.paymentHash);
    expect(await code(paying2)).toBe('LN_PAYMENT_FAILED');
    expect((await nwc.lookupInvoice(hold2.paymentHash)).state).toBe('canceled');
  }

  it('INSUFFICIENT_BALANCE from the wallet is LN_INSUFFICIENT_BALANCE; unknown hashes LN_NOT_FOUND', async () => {
    const big = await lnbits.createInvoice({ amountMsat: sats(2_000_000), memo: 'more than alice has' });
    const e = await error(nwc.payInvoice(big.paymentRequest));
    expect(e.code).toBe('LN_INSUFFICIENT_BALANCE');
    expect(e.data?.nip47).toBe('INSUFFICIENT_BALANCE');
    expect(await code(nwc.lookupInvoice('00'.repeat(32)))).toBe('LN_NOT_FOUND');
  });
});

describe('NWC lookupPayment of a payment in flight (hold invoices on bob)', () => {
  it('pending while bob holds the HTLC, then succeeded once settled, failed once canceled', async () => {
    const bob = lndOf(env, 'bob');
    const w = await wallet();
    const nwc = client(w.uri());
    const kept = randomBytes(32).toString('hex');
    const dropped = randomBytes(32).toString('hex');
    const accepted = async (hash: string) => {
      for (let i = 0; i < 300; i++) {
        if ((await bob.lookupInvoice(hash)).state === 'ACCEPTED') return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the hold invoice was never accepted');
    };
    try {
      const hold = await bob.addHoldInvoice({ hash: hashOf(kept), valueMsat: sats(45), memo: 'held' });
      const paying = nwc.payInvoice(hold.paymentRequest);
      paying.catch(() => undefined);
      await accepted(hashOf(kept));
      expect(await nwc.lookupPayment(hashOf(kept))).toEqual({ state: 'pending' });
      await bob.settleInvoice(kept);
      expect((await paying).preimage).toBe(kept);
      expect(await nwc.lookupPayment(hashOf(kept))).toEqual({ state: 'succeeded', preimage: kept });

      const hold2 = await bob.addHoldInvoice({ hash: hashOf(dropped), valueMsat: sats(46) });
      const paying2 = nwc.payInvoice(hold2.paymentRequest);
      paying2.catch(() => undefined);
      await accepted(hashOf(dropped));
      expect(await nwc.lookupPayment(hashOf(dropped))).toEqual({ state: 'pending' });
      await bob.cancelInvoice(hashOf(dropped));
      expect(await code(paying2)).toBe('LN_PAYMENT_FAILED');
      expect(await nwc.lookupPayment(hashOf(dropped))).toEqual({ state: 'failed' });
    } finally {
      // Never leave an HTLC locked in the shared channel when an assertion fails.
      for (const p of [kept, dropped]) await bob.cancelInvoice(hashOf(p)).catch(() => undefined);
    }
  });
});

describe('NWC capabilities and error codes', () => {
  it('a wallet without hold invoices or get_balance: LN_UNSUPPORTED', async () => {
    const w = await wallet({
      methods: ['get_info', 'make_invoice', 'lookup_invoice', 'pay_invoice'],
      notifications: false,
    });
    const nwc = client(w.uri());
    const hash = toHex(sha256(randomBytes(32)));
    expect(await code(nwc.createHoldInvoice({ amountMsat: sats(1), paymentHash: hash }))).toBe(
      'LN_UNSUPPORTED',
    );
    expect(await code(nwc.settleHoldInvoice('11'.repeat(32)))).toBe('LN_UNSUPPORTED');
    expect(await code(nwc.cancelHoldInvoice(hash))).toBe('LN_UNSUPPORTED');
    expect(w.requests.filter((r) => r.method.includes('hold'))).toEqual([]);
    const e = await error(nwc.getBalance());
    expect(e.code).toBe('LN_UNSUPPORTED');
    expect(e.data?.nip47).toBe('NOT_IMPLEMENTED');
  });

  it('without notifications, waitForInvoice polls lookup_invoice', async () => {
    const w = await wallet({ notifications: false });
    const nwc = client(w.uri());
    const inv = await nwc.createInvoice({ amountMsat: sats(12) });
    const waiting = nwc.waitForInvoice(inv.paymentHash, { timeoutMs: 45_000, pollIntervalMs: 200 });
    const paid = await lnbits.payInvoice(inv.paymentRequest);
    expect(await waiting).toMatchObject({ state: 'settled', preimage: paid.preimage });
    expect(w.notified).toEqual([]);
  });

  it('maps NIP-47 error codes', async () => {
    const w = await wallet({
      failures: {
        get_balance: { code: 'RATE_LIMITED', message: 'slow down' },
        get_info: { code: 'UNAUTHORIZED', message: 'no wallet for this key' },
        lookup_invoice: { code: 'INTERNAL', message: 'database locked' },
        pay_invoice: { code: 'PAYMENT_FAILED', message: 'FAILURE_REASON_NO_ROUTE' },
        make_invoice: { code: 'QUOTA_EXCEEDED', message: 'budget' },
      },
    });
    const nwc = client(w.uri());
    expect(await code(nwc.getBalance())).toBe('LN_UNREACHABLE');
    expect(await code(nwc.getInfo())).toBe('LN_UNAUTHORIZED');
    expect(await code(nwc.lookupInvoice('22'.repeat(32)))).toBe('LN_BAD_RESPONSE');
    // A wallet that cannot answer is an error, never a payment that failed.
    expect(await code(nwc.lookupPayment('22'.repeat(32)))).toBe('LN_BAD_RESPONSE');
    expect(await code(nwc.createInvoice({ amountMsat: sats(1) }))).toBe('LN_INSUFFICIENT_BALANCE');
    const inv = await lnbits.createInvoice({ amountMsat: sats(1) });
    expect(await code(nwc.payInvoice(inv.paymentRequest))).toBe('LN_NO_ROUTE');
  });
});

describe('NWC transport failures', () => {
  it('an unknown client (wrong secret) gets no answer: LN_TIMEOUT, and the secret never shows', async () => {
    const w = await wallet();
    const secret = generateSecretKey();
    const nwc = client(w.uri({ secret }), 1500);
    const e = await error(nwc.getBalance());
    expect(e.code).toBe('LN_TIMEOUT');
    const hexSecret = Buffer.from(secret).toString('hex');
    expect(`${e.message} ${JSON.stringify(e)} ${JSON.stringify(e.data)}`).not.toContain(hexSecret);
    expect(await code(nwc.waitForInvoice('33'.repeat(32), { timeoutMs: 1000 }))).toBe('LN_TIMEOUT');
    expect(await code(nwc.lookupPayment('33'.repeat(32), { timeoutMs: 1000 }))).toBe('LN_TIMEOUT');
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 200);
    expect(
      await code(nwc.lookupPayment('33'.repeat(32), { signal: aborted.signal, timeoutMs: 20_000 })),
    ).toBe('LN_TIMEOUT');
  });

  it('a relay that is down is LN_UNREACHABLE', async () => {
    const down = await startRelay();
    const url = down.url;
    await down.stop();
    const w = new TestNwcWallet({ relayUrl: url, lnd: alice });
    const nwc = client(w.uri(), 3000);
    expect(await code(nwc.getInfo())).toBe('LN_UNREACHABLE');
    expect(await code(nwc.createInvoice({ amountMsat: sats(1) }))).toBe('LN_UNREACHABLE');
  });

  it('a relay that drops: the call in flight fails with LN_UNREACHABLE; after a restart the client reconnects', async () => {
    const r = await startRelay();
    closers.push(() => r.stop());
    const w = await wallet({}, r);
    const nwc = client(w.uri(), 10_000);
    expect((await nwc.getBalance()).balanceMsat).toBeGreaterThan(0n);

    // A request the wallet never answers (unknown client), cut by the relay going away.
    const ignored = client(w.uri({ secret: generateSecretKey() }), 20_000);
    const inFlight = ignored.getBalance();
    inFlight.catch(() => undefined);
    await new Promise((res) => setTimeout(res, 500));
    await r.stop();
    expect(await code(inFlight)).toBe('LN_UNREACHABLE');
    expect(await code(nwc.getBalance())).toBe('LN_UNREACHABLE');

    await r.start(r.port);
    let balance: bigint | undefined;
    for (let i = 0; i < 50 && balance === undefined; i++) {
      try {
        balance = (await nwc.getBalance({ timeoutMs: 2000 })).balanceMsat;
      } catch {
        await new Promise((res) => setTimeout(res, 200)); // the wallet service reconnects too
      }
    }
    expect(balance).toBeGreaterThan(0n);
  });

  it('close() ends calls in flight with LN_UNREACHABLE and closes the socket', async () => {
    const w = await wallet();
    const nwc = new NwcBackend({ uri: w.uri({ secret: generateSecretKey() }), WebSocket, timeoutMs: 20_000 });
    const pending = nwc.getBalance();
    pending.catch(() => undefined);
    await new Promise((res) => setTimeout(res, 300));
    await nwc.close();
    expect(await code(pending)).toBe('LN_UNREACHABLE');
    expect(await code(nwc.getInfo())).toBe('LN_UNREACHABLE');
  });

  it('bad URIs are LN_BAD_CONFIG without the secret; Node 20 without `ws` is LN_BAD_CONFIG', () => {
    const secret = 'ab'.repeat(32);
    const pub = 'cd'.repeat(32);
    for (const uri of [
      `nostr+walletconnect://${pub}?secret=${secret}`,
      `nostr+walletconnect://nothex?relay=wss%3A%2F%2Fr.example&secret=${secret}`,
      `nostr+walletconnect://${pub}?relay=https%3A%2F%2Fr.example&secret=${secret}`,
      `nostr+walletconnect://${pub}?relay=wss%3A%2F%2Fr.example&secret=${secret.slice(2)}`,
      `lnbits://${pub}?relay=wss%3A%2F%2Fr.example&secret=${secret}`,
    ]) {
      let e: { code?: string; message: string } | undefined;
      try {
        new NwcBackend({ uri, WebSocket });
      } catch (err) {
        e = err as { code?: string; message: string };
      }
      expect(e?.code).toBe('LN_BAD_CONFIG');
      expect(e?.message).not.toContain(secret.slice(2));
    }
    expect(
      () =>
        new NwcBackend({ uri: `nostr+walletconnect://${pub}?relay=wss%3A%2F%2Fr.example&secret=${secret}` }),
    ).toThrow(/WebSocket/);
    expect(ALL_METHODS).toContain('make_hold_invoice');
  });
});
