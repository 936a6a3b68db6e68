/**
 * ClnRest against a local server reproducing Core Lightning's clnrest API, built from
 * ElementsProject/lightning (commit 090f4b0e): the REST transport of
 * `plugins/rest-plugin/src/{handlers,shared,structs}.rs`, the RPC shapes of
 * `doc/schemas/{invoice,listinvoices,waitinvoice,xpay,pay,listpays,getinfo,listfunds}.json`
 * (and `plugins/xpay/listpays.c`), the error
 * codes of `common/jsonrpc_errors.h` and the messages of `plugins/xpay/xpay.c`,
 * `plugins/askrene/child/explain_failure.c`, `lightningd/invoice.c` and `lightningd/runes.c`.
 * See `support/mock-cln.ts`.
 */
import { decodeInvoice, sha256, toHex } from '@farebox/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClnRest } from '../src/cln.js';
import { canHold, sats } from '../src/types.js';
import { MockCln } from './support/mock-cln.js';
import {
  closedPort,
  expectIssued,
  expectNoSecret,
  expectPaysOnce,
  expectSettled,
  expectTransportFailures,
  expiredLongAgo,
  failure,
} from './support/mock-common.js';

const RUNE = 'tU-RLjMiDpY2U0o3W1oFowar36RFGpWloPbW9-RuZdo9MyZpZD0wMjRiZTVlOGU3NWYyY2RlNWMwOTQ3Y2FjMmQz';

describe('ClnRest: Core Lightning clnrest (local server reproducing its documented API)', () => {
  let mock: MockCln;
  let cln: ClnRest;

  beforeEach(async () => {
    mock = await MockCln.start({ rune: RUNE });
    cln = new ClnRest({ url: mock.url, rune: RUNE, timeoutMs: 5000 });
  });
  afterEach(() => mock.close());

  it('creates an invoice with POST /v1/invoice, JSON params and the Rune header', async () => {
    const inv = await cln.createInvoice({ amountMsat: 21_500n, memo: 'one joke', expirySeconds: 300 });
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/invoice');
    expect(req.headers.rune).toBe(RUNE);
    expect(req.headers['content-type']).toBe('application/json');
    const params = JSON.parse(req.body);
    expect(Object.keys(params).sort()).toEqual(['amount_msat', 'description', 'expiry', 'label']);
    expect(params.amount_msat).toBe(21_500);
    expect(params.description).toBe('one joke');
    expect(params.expiry).toBe(300);
    expect(params.label).toMatch(/^farebox-[0-9a-f]{32}$/);
    expectIssued(inv, {
      payee: mock.pubkey,
      amountMsat: 21_500n,
      description: 'one joke',
      expirySeconds: 300,
    });
    expect(canHold(cln)).toBe(false);
  });

  it('uses deschashonly when the description hash is sha256(memo), and refuses a bare hash', async () => {
    const memo = 'a long description of the resource';
    const hash = toHex(sha256(new TextEncoder().encode(memo)));
    const inv = await cln.createInvoice({ amountMsat: sats(1), memo, descriptionHash: hash });
    expect(JSON.parse(mock.requests.at(-1)!.body).deschashonly).toBe(true);
    expect(decodeInvoice(inv.paymentRequest).descriptionHash).toBe(hash);
    const e = await failure(cln.createInvoice({ amountMsat: sats(1), descriptionHash: '00'.repeat(32) }));
    expect(e.code).toBe('LN_UNSUPPORTED');
  });

  it('looks an invoice up with listinvoices: open, then paid with its preimage', async () => {
    const inv = await cln.createInvoice({ amountMsat: sats(21) });
    const open = await cln.lookupInvoice(inv.paymentHash);
    expect(JSON.parse(mock.requests.at(-1)!.body)).toEqual({ payment_hash: inv.paymentHash });
    expect(open).toMatchObject({ paymentHash: inv.paymentHash, state: 'open', amountMsat: 21_000n });
    expect(open.preimage).toBeUndefined();
    mock.markPaid(inv.paymentHash, 21_100n);
    const paid = await cln.lookupInvoice(inv.paymentHash.toUpperCase());
    expectSettled(paid, inv.paymentHash);
    expect(paid.amountPaidMsat).toBe(21_100n);
    expect(paid.settledAt).toBeTypeOf('number');
    const other = await cln.createInvoice({ amountMsat: sats(1) });
    mock.expire(other.paymentHash);
    expect((await cln.lookupInvoice(other.paymentHash)).state).toBe('expired');
  });

  it('unknown payment hash → LN_NOT_FOUND; a bad hash → INVALID_ARGUMENT before any request', async () => {
    expect((await failure(cln.lookupInvoice('ab'.repeat(32)))).code).toBe('LN_NOT_FOUND');
    const before = mock.requests.length;
    expect((await failure(cln.lookupInvoice('xyz'))).code).toBe('INVALID_ARGUMENT');
    expect(mock.requests.length).toBe(before);
  });

  it('waitForInvoice long-polls waitinvoice and resolves when the invoice is paid', async () => {
    const inv = await cln.createInvoice({ amountMsat: sats(5) });
    const seen = mock.nextRequest('/v1/waitinvoice');
    const waiting = cln.waitForInvoice(inv.paymentHash, { timeoutMs: 10_000 });
    const req = await seen;
    expect(JSON.parse(req.body).label).toMatch(/^farebox-/);
    mock.markPaid(inv.paymentHash);
    const done = await waiting;
    expectSettled(done, inv.paymentHash);
  });

  it('waitForInvoice returns "expired" on error 903 and times out with LN_TIMEOUT', async () => {
    const inv = await cln.createInvoice({ amountMsat: sats(5) });
    const seen = mock.nextRequest('/v1/waitinvoice');
    const waiting = cln.waitForInvoice(inv.paymentHash, { timeoutMs: 10_000 });
    await seen;
    mock.expire(inv.paymentHash);
    expect((await waiting).state).toBe('expired');
    const other = await cln.createInvoice({ amountMsat: sats(5) });
    expect((await failure(cln.waitForInvoice(other.paymentHash, { timeoutMs: 200 }))).code).toBe(
      'LN_TIMEOUT',
    );
  });

  it('pays with xpay: preimage, amount and fee (amount_sent_msat - amount_msat)', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 50_000n, feeMsat: 7n });
    const paid = await cln.payInvoice(remote.bolt11, { maxFeeMsat: 1_000n, timeoutMs: 30_000 });
    const req = mock.requests.at(-1)!;
    expect(req.path).toBe('/v1/xpay');
    expect(req.headers.rune).toBe(RUNE);
    expect(JSON.parse(req.body)).toEqual({ invstring: remote.bolt11, maxfee: 1000, retry_for: 29 });
    expect(paid).toEqual({
      preimage: remote.preimage,
      paymentHash: remote.paymentHash,
      amountMsat: 50_000n,
      feeMsat: 7n,
    });
  });

  it('pays a zero-amount invoice with amount_msat, and falls back to pay without xpay', async () => {
    const zero = mock.remoteInvoice({});
    const paid = await cln.payInvoice(zero.bolt11, { amountMsat: 3_000n });
    expect(JSON.parse(mock.requests.at(-1)!.body)).toMatchObject({ amount_msat: 3000, maxfee: 10_030 });
    expect(paid.amountMsat).toBe(3_000n);
    mock.hasXpay = false;
    const remote = mock.remoteInvoice({ amountMsat: 9_000n, feeMsat: 1n });
    const viaPay = await cln.payInvoice(remote.bolt11);
    expect(mock.requests.at(-2)!.path).toBe('/v1/xpay');
    expect(mock.requests.at(-1)!.path).toBe('/v1/pay');
    expect(JSON.parse(mock.requests.at(-1)!.body).bolt11).toBe(remote.bolt11);
    expect(viaPay).toMatchObject({ preimage: remote.preimage, feeMsat: 1n });
  });

  it('maps payment errors: 205 no route, 215 insufficient, 219 already paid, 207 expired', async () => {
    const unroutable = mock.remoteInvoice({ amountMsat: 1_000n, reachable: false });
    const noRoute = await failure(cln.payInvoice(unroutable.bolt11));
    expect(noRoute.code).toBe('LN_NO_ROUTE');
    expect(noRoute.data).toMatchObject({ rpcCode: 205 });

    const big = mock.remoteInvoice({ amountMsat: mock.spendableMsat + 1n });
    const poor = await failure(cln.payInvoice(big.bolt11));
    expect(poor.code).toBe('LN_INSUFFICIENT_BALANCE');
    expect(poor.data.reason).toContain('Total source capacity');

    await expectPaysOnce(cln, mock.remoteInvoice({ amountMsat: 1_000n }).bolt11);

    const old = mock.remoteInvoice({ amountMsat: 1_000n, ...expiredLongAgo() });
    const expired = await failure(cln.payInvoice(old.bolt11));
    expect(expired.code).toBe('LN_INVOICE_EXPIRED');
    expect(expired.data.reason).toMatch(/^Invoice expired \d+ seconds ago$/);
  });

  it('lookupPayment reads listpays: succeeded with the preimage, pending in flight, then failed or succeeded', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 40_000n, feeMsat: 2n });
    const paid = await cln.payInvoice(remote.bolt11);
    expect(await cln.lookupPayment(remote.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: paid.preimage,
    });
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/listpays');
    expect(req.headers.rune).toBe(RUNE);
    expect(JSON.parse(req.body)).toEqual({ payment_hash: remote.paymentHash });

    // The client gave up (crashed) while the HTLC was held: pending until the payee settles.
    const held = mock.remoteInvoice({ amountMsat: 10_000n, holds: true });
    expect((await failure(cln.payInvoice(held.bolt11, { timeoutMs: 200 }))).code).toBe('LN_TIMEOUT');
    expect(await cln.lookupPayment(held.paymentHash)).toEqual({ state: 'pending' });
    mock.settlePayment(held.paymentHash);
    expect(await cln.lookupPayment(held.paymentHash.toUpperCase())).toEqual({
      state: 'succeeded',
      preimage: held.preimage,
    });

    // An attempt the payee fails is failed; a later attempt that succeeds wins over it.
    const dropped = mock.remoteInvoice({ amountMsat: 10_000n, holds: true });
    const paying = cln.payInvoice(dropped.bolt11);
    await mock.inFlight(dropped.paymentHash);
    expect(await cln.lookupPayment(dropped.paymentHash)).toEqual({ state: 'pending' });
    mock.failPayment(dropped.paymentHash);
    const refused = await failure(paying);
    expect(refused.code).toBe('LN_PAYMENT_FAILED');
    expect(refused.data.rpcCode).toBe(203);
    expect(await cln.lookupPayment(dropped.paymentHash)).toEqual({ state: 'failed' });
    const again = cln.payInvoice(dropped.bolt11);
    await mock.inFlight(dropped.paymentHash);
    expect(await cln.lookupPayment(dropped.paymentHash)).toEqual({ state: 'pending' });
    mock.settlePayment(dropped.paymentHash);
    expect((await again).preimage).toBe(dropped.preimage);
    expect(await cln.lookupPayment(dropped.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: dropped.preimage,
    });
  });

  it('lookupPayment: an unknown hash and an invoice of the node are failed; a bad hash is INVALID_ARGUMENT', async () => {
    expect(await cln.lookupPayment('ab'.repeat(32))).toEqual({ state: 'failed' });
    const inv = await cln.createInvoice({ amountMsat: sats(3) });
    mock.markPaid(inv.paymentHash);
    expect(await cln.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' });
    const before = mock.requests.length;
    expect((await failure(cln.lookupPayment('xyz'))).code).toBe('INVALID_ARGUMENT');
    expect(mock.requests.length).toBe(before);
    mock.failure = 'hang';
    const hung = await failure(cln.lookupPayment('ab'.repeat(32), { timeoutMs: 150 }));
    expect(hung.code).toBe('LN_TIMEOUT');
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 100);
    const cancelled = await failure(cln.lookupPayment('ab'.repeat(32), { signal: aborted.signal }));
    expect(cancelled.code).toBe('LN_TIMEOUT');
  });

  it('reads node info (getinfo) and the spendable balance (listfunds)', async () => {
    expect(await cln.getInfo()).toEqual({
      backend: 'cln',
      network: 'regtest',
      pubkey: mock.pubkey,
      alias: 'SILENTARTIST-v26.09',
      blockHeight: 114,
    });
    mock.spendableMsat = 123_456_789n;
    expect(await cln.getBalance()).toEqual({ balanceMsat: 123_456_789n });
    expect(mock.requests.at(-1)!.path).toBe('/v1/listfunds');
  });

  it('a refused rune is LN_UNAUTHORIZED and never appears in the error, even when CLN echoes it', async () => {
    const wrong = new ClnRest({ url: mock.url, rune: 'aW52YWxpZC1ydW5lLXdpdGgtZW5vdWdoLWxlbmd0aA' });
    const e = await failure(wrong.getInfo());
    expect(e.code).toBe('LN_UNAUTHORIZED');
    expect(e.data).toMatchObject({ status: 401, detail: 'Not authorized: Not derived from master' });
    expectNoSecret(e, 'aW52YWxpZC1ydW5lLXdpdGgtZW5vdWdoLWxlbmd0aA');
    const lookup = await failure(wrong.lookupPayment('ab'.repeat(32)));
    expect(lookup.code).toBe('LN_UNAUTHORIZED');
    expectNoSecret(lookup, 'aW52YWxpZC1ydW5lLXdpdGgtZW5vdWdoLWxlbmd0aA');

    const dev = await MockCln.start({ rune: RUNE, developer: true });
    const malformed = 'not a rune: s3cr3t-value!';
    const echoed = await failure(
      new ClnRest({ url: dev.url, rune: malformed }).createInvoice({ amountMsat: sats(1) }),
    );
    expect(echoed.code).toBe('LN_UNAUTHORIZED');
    expect(String(echoed.data.detail)).toContain('invalid token');
    expectNoSecret(echoed, malformed);
    const echoedLookup = await failure(
      new ClnRest({ url: dev.url, rune: malformed }).lookupPayment('ab'.repeat(32)),
    );
    expect(echoedLookup.code).toBe('LN_UNAUTHORIZED');
    expectNoSecret(echoedLookup, malformed);
    await dev.close();
  });

  it('HTML, a bare HTTP 500 and a hanging server are LN_BAD_RESPONSE / LN_TIMEOUT; a closed port LN_UNREACHABLE', async () => {
    await expectTransportFailures({
      mock,
      call: () => cln.getInfo(),
      hang: () => cln.getInfo({ timeoutMs: 150 }),
      unreachable: async () => new ClnRest({ url: await closedPort(), rune: RUNE }).getBalance(),
      secret: RUNE,
    });
  });
});
