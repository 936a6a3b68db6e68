/**
 * Phoenixd against a local server reproducing its HTTP API as ACINQ/phoenixd (commit 402c2eac)
 * implements it: routes, form parameters, Basic auth and error texts from
 * `src/commonMain/kotlin/fr/acinq/phoenixd/Api.kt`, JSON shapes from
 * `src/commonMain/kotlin/fr/acinq/phoenixd/json/JsonSerializers.kt`, payment failure texts
 * from lightning-kmp's `FinalFailure` (reference: https://phoenix.acinq.co/server/api).
 * See `support/mock-phoenixd.ts`.
 */
import { decodeInvoice } from '@farebox/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Phoenixd } from '../src/phoenixd.js';
import { sats } from '../src/types.js';
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
import { MockPhoenixd } from './support/mock-phoenixd.js';

const PASSWORD = '8f3c1d9e0b7a4f6c2e5d8b1a3f7c9e0d4b6a2c8e1f5d7b9a3c0e2f4a6b8d1c3e';
const LIMITED = '1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f70819';

const basic = (password: string) => `Basic ${Buffer.from(`:${password}`).toString('base64')}`;

describe('Phoenixd (local server reproducing its documented API)', () => {
  let mock: MockPhoenixd;
  let phoenix: Phoenixd;

  beforeEach(async () => {
    mock = await MockPhoenixd.start({ password: PASSWORD, limitedPassword: LIMITED });
    phoenix = new Phoenixd({ url: mock.url, password: PASSWORD, timeoutMs: 5000 });
  });
  afterEach(() => mock.close());

  it('creates an invoice with a form-encoded POST /createinvoice and Basic auth (empty user)', async () => {
    const tagged = new Phoenixd({ url: mock.url, password: PASSWORD, externalId: 'farebox' });
    const inv = await tagged.createInvoice({
      amountMsat: sats(21),
      memo: 'one joke & more',
      expirySeconds: 300,
    });
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/createinvoice');
    expect(req.headers.authorization).toBe(basic(PASSWORD));
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect([...form.keys()].sort()).toEqual(['amountSat', 'description', 'expirySeconds', 'externalId']);
    expect(form.get('amountSat')).toBe('21');
    expect(form.get('description')).toBe('one joke & more');
    expect(form.get('expirySeconds')).toBe('300');
    expect(form.get('externalId')).toBe('farebox');
    expectIssued(inv, {
      payee: mock.nodeId,
      amountMsat: 21_000n,
      description: 'one joke & more',
      expirySeconds: 300,
    });
  });

  it('sends descriptionHash instead of description, and refuses msat that are not whole sats', async () => {
    const hash = 'ab'.repeat(32);
    const inv = await phoenix.createInvoice({ amountMsat: sats(2), descriptionHash: hash });
    const form = new URLSearchParams(mock.requests.at(-1)!.body);
    expect(form.get('descriptionHash')).toBe(hash);
    expect(form.has('description')).toBe(false);
    expect(decodeInvoice(inv.paymentRequest).descriptionHash).toBe(hash);
    const before = mock.requests.length;
    const e = await failure(phoenix.createInvoice({ amountMsat: 21_500n }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.data.parameter).toBe('amountMsat');
    expect((await failure(phoenix.createInvoice({ amountMsat: sats(1), memo: 'x'.repeat(129) }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(mock.requests.length).toBe(before);
  });

  it('looks an invoice up with GET /payments/incoming/{paymentHash}: open, then paid with its preimage', async () => {
    const inv = await phoenix.createInvoice({ amountMsat: sats(21) });
    const open = await phoenix.lookupInvoice(inv.paymentHash);
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/payments/incoming/${inv.paymentHash}`);
    expect(req.headers.authorization).toBe(basic(PASSWORD));
    // Phoenixd returns the preimage of unpaid invoices too; it is not proof of payment yet.
    expect(open).toEqual({
      paymentHash: inv.paymentHash,
      state: 'open',
      amountMsat: 21_000n,
      paymentRequest: inv.paymentRequest,
    });
    mock.markPaid(inv.paymentHash, { receivedSat: 20, feesMsat: 1_000 });
    const paid = await phoenix.lookupInvoice(inv.paymentHash);
    expectSettled(paid, inv.paymentHash);
    expect(paid.amountPaidMsat).toBe(21_000n);
    expect(paid.settledAt).toBeTypeOf('number');
    const other = await phoenix.createInvoice({ amountMsat: sats(1) });
    mock.expire(other.paymentHash);
    expect((await phoenix.lookupInvoice(other.paymentHash)).state).toBe('expired');
    expect((await failure(phoenix.lookupInvoice('cd'.repeat(32)))).code).toBe('LN_NOT_FOUND');
  });

  it('waitForInvoice polls until the server marks the invoice paid', async () => {
    const inv = await phoenix.createInvoice({ amountMsat: sats(5) });
    const seen = mock.nextRequest(`/payments/incoming/${inv.paymentHash}`);
    const waiting = phoenix.waitForInvoice(inv.paymentHash, { timeoutMs: 10_000, pollIntervalMs: 20 });
    await seen;
    mock.markPaid(inv.paymentHash);
    const done = await waiting;
    expectSettled(done, inv.paymentHash);
    const other = await phoenix.createInvoice({ amountMsat: sats(1) });
    const late = await failure(
      phoenix.waitForInvoice(other.paymentHash, { timeoutMs: 150, pollIntervalMs: 20 }),
    );
    expect(late.code).toBe('LN_TIMEOUT');
  });

  it('pays with a form-encoded POST /payinvoice: preimage, amount and routing fee', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 50_000n, feeSat: 4 });
    const paid = await phoenix.payInvoice(remote.invoice);
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/payinvoice');
    expect(req.headers.authorization).toBe(basic(PASSWORD));
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ invoice: remote.invoice });
    expect(paid).toEqual({
      preimage: remote.preimage,
      paymentHash: remote.paymentHash,
      amountMsat: 50_000n,
      feeMsat: 4_000n,
    });

    const zero = mock.remoteInvoice({});
    await phoenix.payInvoice(zero.invoice, { amountMsat: sats(7) });
    expect(new URLSearchParams(mock.requests.at(-1)!.body).get('amountSat')).toBe('7');
    expect(
      (await failure(phoenix.payInvoice(mock.remoteInvoice({}).invoice, { amountMsat: 7_001n }))).code,
    ).toBe('INVALID_ARGUMENT');
  });

  it('maps PaymentFailed reasons: no route, insufficient balance, already paid; refuses expired invoices', async () => {
    const unroutable = mock.remoteInvoice({ amountMsat: 1_000n, reachable: false });
    const noRoute = await failure(phoenix.payInvoice(unroutable.invoice));
    expect(noRoute.code).toBe('LN_NO_ROUTE');
    expect(noRoute.data.reason).toBe(
      'the recipient was offline or did not have enough liquidity to receive the payment',
    );

    const big = mock.remoteInvoice({ amountMsat: BigInt(mock.balanceSat + 1) * 1000n });
    const poor = await failure(phoenix.payInvoice(big.invoice));
    expect(poor.code).toBe('LN_INSUFFICIENT_BALANCE');

    await expectPaysOnce(phoenix, mock.remoteInvoice({ amountMsat: 1_000n }).invoice);

    // Phoenixd does not check expiry (its payee would reject the HTLC): the adapter refuses first.
    const old = mock.remoteInvoice({ amountMsat: 1_000n, ...expiredLongAgo() });
    const before = mock.requests.length;
    expect((await failure(phoenix.payInvoice(old.invoice))).code).toBe('LN_INVOICE_EXPIRED');
    expect(mock.requests.length).toBe(before);
  });

  it('lookupPayment reads GET /payments/outgoingbyhash/{paymentHash}: succeeded with the preimage, pending, failed, unknown', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 30_000n, feeSat: 2 });
    const paid = await phoenix.payInvoice(remote.invoice);
    expect(await phoenix.lookupPayment(remote.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: paid.preimage,
    });
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/payments/outgoingbyhash/${remote.paymentHash}`);
    expect(req.headers.authorization).toBe(basic(PASSWORD));

    // The client gave up (crashed) while the HTLC was held: pending until the payee settles.
    const held = mock.remoteInvoice({ amountMsat: 5_000n, holds: true });
    expect((await failure(phoenix.payInvoice(held.invoice, { timeoutMs: 200 }))).code).toBe('LN_TIMEOUT');
    expect(await phoenix.lookupPayment(held.paymentHash)).toEqual({ state: 'pending' });
    mock.settlePayment(held.paymentHash);
    expect(await phoenix.lookupPayment(held.paymentHash.toUpperCase())).toEqual({
      state: 'succeeded',
      preimage: held.preimage,
    });

    // The payee fails the HTLC: failed; a later attempt that succeeds wins over it.
    const dropped = mock.remoteInvoice({ amountMsat: 5_000n, holds: true });
    const paying = phoenix.payInvoice(dropped.invoice);
    await mock.inFlight(dropped.paymentHash);
    expect(await phoenix.lookupPayment(dropped.paymentHash)).toEqual({ state: 'pending' });
    mock.failPayment(dropped.paymentHash);
    expect((await failure(paying)).code).toBe('LN_PAYMENT_FAILED');
    expect(await phoenix.lookupPayment(dropped.paymentHash)).toEqual({ state: 'failed' });
    const again = phoenix.payInvoice(dropped.invoice);
    await mock.inFlight(dropped.paymentHash);
    mock.settlePayment(dropped.paymentHash);
    expect((await again).preimage).toBe(dropped.preimage);
    expect(await phoenix.lookupPayment(dropped.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: dropped.preimage,
    });

    // Stored failures (no route) are failed; hashes never paid, and own invoices, too.
    const unroutable = mock.remoteInvoice({ amountMsat: 1_000n, reachable: false });
    await failure(phoenix.payInvoice(unroutable.invoice));
    expect(await phoenix.lookupPayment(unroutable.paymentHash)).toEqual({ state: 'failed' });
    expect(await phoenix.lookupPayment('cd'.repeat(32))).toEqual({ state: 'failed' });
    const inv = await phoenix.createInvoice({ amountMsat: sats(2) });
    mock.markPaid(inv.paymentHash);
    expect(await phoenix.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' });
  });

  it('lookupPayment: the limited password may look up; a phoenixd without the route is LN_UNSUPPORTED, never failed', async () => {
    const limited = new Phoenixd({ url: mock.url, password: LIMITED });
    const remote = mock.remoteInvoice({ amountMsat: 1_000n });
    const paid = await phoenix.payInvoice(remote.invoice);
    expect(await limited.lookupPayment(remote.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: paid.preimage,
    });

    mock.hasOutgoingByHash = false;
    const old = await failure(phoenix.lookupPayment(remote.paymentHash));
    expect(old.code).toBe('LN_UNSUPPORTED');
    expect(old.data.detail).toBe('Unknown endpoint (check api doc)');
    mock.hasOutgoingByHash = true;

    const before = mock.requests.length;
    expect((await failure(phoenix.lookupPayment('nothex'))).code).toBe('INVALID_ARGUMENT');
    expect(mock.requests.length).toBe(before);
    const wrong = 'not-the-password-0123456789';
    const e = await failure(new Phoenixd({ url: mock.url, password: wrong }).lookupPayment('cd'.repeat(32)));
    expect(e.code).toBe('LN_UNAUTHORIZED');
    expectNoSecret(e, wrong);
    mock.failure = 'hang';
    expect((await failure(phoenix.lookupPayment('cd'.repeat(32), { timeoutMs: 150 }))).code).toBe(
      'LN_TIMEOUT',
    );
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 100);
    expect((await failure(phoenix.lookupPayment('cd'.repeat(32), { signal: aborted.signal }))).code).toBe(
      'LN_TIMEOUT',
    );
  });

  it('reads node info (/getinfo) and balance (/getbalance)', async () => {
    expect(await phoenix.getInfo()).toEqual({
      backend: 'phoenixd',
      network: 'regtest',
      pubkey: mock.nodeId,
      blockHeight: 2_870,
    });
    mock.balanceSat = 12_345;
    expect(await phoenix.getBalance()).toEqual({ balanceMsat: 12_345_000n });
    expect(mock.requests.at(-1)!.path).toBe('/getbalance');
  });

  it('a wrong password is LN_UNAUTHORIZED; the limited-access password cannot pay; no error holds a password', async () => {
    const wrong = 'not-the-password-0123456789';
    const e = await failure(new Phoenixd({ url: mock.url, password: wrong }).getBalance());
    expect(e.code).toBe('LN_UNAUTHORIZED');
    expect(e.data.status).toBe(401);
    expectNoSecret(e, wrong);

    const limited = new Phoenixd({ url: mock.url, password: LIMITED });
    const inv = await limited.createInvoice({ amountMsat: sats(1) });
    expect((await limited.lookupInvoice(inv.paymentHash)).state).toBe('open');
    const refused = await failure(limited.payInvoice(mock.remoteInvoice({ amountMsat: 1_000n }).invoice));
    expect(refused.code).toBe('LN_UNAUTHORIZED');
    expectNoSecret(refused, LIMITED);
  });

  it('HTML, HTTP 500 and a hanging server are LN_BAD_RESPONSE / LN_TIMEOUT; a closed port LN_UNREACHABLE', async () => {
    await expectTransportFailures({
      mock,
      call: () => phoenix.getInfo(),
      hang: () => phoenix.getBalance({ timeoutMs: 150 }),
      unreachable: async () => new Phoenixd({ url: await closedPort(), password: PASSWORD }).getInfo(),
      secret: PASSWORD,
    });
  });
});
