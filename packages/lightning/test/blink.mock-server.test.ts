/**
 * Blink against a local server reproducing its GraphQL API as blinkbitcoin/blink (commit
 * 977c6647) publishes it: the types, inputs and fields of
 * `core/api/src/graphql/public/schema.graphql` (every query the adapter sends is parsed and
 * validated against them, and answered with exactly the selected fields), the resolvers in
 * `core/api/src/graphql/public/root/`, the error codes and messages of
 * `core/api/src/graphql/{error.ts,error-map.ts}`, and the gateway's 401 for an unknown
 * `X-API-KEY` (Ory Oathkeeper, `dev/config/ory/oathkeeper_rules.yaml`). Guide:
 * https://dev.blink.sv. See `support/mock-blink.ts`.
 */
import { decodeInvoice } from '@farebox/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLINK_QUERIES, Blink } from '../src/blink.js';
import { sats } from '../src/types.js';
import { MockBlink } from './support/mock-blink.js';
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

const KEY = 'blink_7xQm2pLr9VtKc4Wn8Hs3Df6Gj1Bz5Ya0Ue2Io4Py7Ta9Rk3Mv';
const READ_ONLY = 'blink_readonly_Z8c1X7v2B6n3M5q4W9e0R2t6Y1u3I5o7P9a';

function sent(mock: MockBlink, at = -1): { query: string; variables: Record<string, unknown> } {
  return JSON.parse(mock.requests.at(at)!.body);
}

describe('Blink GraphQL (local server reproducing its documented API)', () => {
  let mock: MockBlink;
  let blink: Blink;

  beforeEach(async () => {
    mock = await MockBlink.start({ [KEY]: ['READ', 'RECEIVE', 'WRITE'], [READ_ONLY]: ['READ'] });
    blink = new Blink({ url: mock.url, apiKey: KEY, walletId: mock.btcWalletId, timeoutMs: 5000 });
  });
  afterEach(() => mock.close());

  it('creates an invoice with lnInvoiceCreate: POST /graphql, X-API-KEY, JSON {query, variables}', async () => {
    const inv = await blink.createInvoice({ amountMsat: sats(21), memo: 'one joke', expirySeconds: 300 });
    const req = mock.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/graphql');
    expect(req.headers['x-api-key']).toBe(KEY);
    expect(req.headers['content-type']).toBe('application/json');
    const body = sent(mock);
    expect(body.query).toBe(BLINK_QUERIES.lnInvoiceCreate);
    expect(body.variables).toEqual({
      input: { walletId: mock.btcWalletId, amount: 21, memo: 'one joke', expiresIn: 5 },
    });
    expectIssued(inv, {
      payee: mock.nodeId,
      amountMsat: 21_000n,
      description: 'one joke',
      expirySeconds: 300,
    });
  });

  it('finds the BTC wallet with me.defaultAccount.wallets when no wallet id is given', async () => {
    const auto = new Blink({ url: mock.url, apiKey: KEY });
    await auto.createInvoice({ amountMsat: sats(1), expirySeconds: 61 });
    expect(sent(mock, -2).query).toBe(BLINK_QUERIES.wallets);
    expect(sent(mock).variables.input).toMatchObject({ walletId: mock.btcWalletId, expiresIn: 2 });
    await auto.createInvoice({ amountMsat: sats(1) });
    expect(mock.requests.filter((r) => JSON.parse(r.body).query === BLINK_QUERIES.wallets)).toHaveLength(1);
  });

  it('uses lnInvoiceCreateOnBehalfOfRecipient for a description hash; refuses msat that are not whole sats', async () => {
    const hash = 'cd'.repeat(32);
    const inv = await blink.createInvoice({ amountMsat: sats(3), descriptionHash: hash });
    expect(sent(mock).variables.input).toEqual({
      recipientWalletId: mock.btcWalletId,
      amount: 3,
      descriptionHash: hash,
      expiresIn: 10,
    });
    expect(decodeInvoice(inv.paymentRequest).descriptionHash).toBe(hash);
    const before = mock.requests.length;
    const e = await failure(blink.createInvoice({ amountMsat: 1_500n }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(mock.requests.length).toBe(before);
  });

  it('looks an invoice up with lnInvoicePaymentStatusByHash: PENDING, then PAID with its preimage', async () => {
    const inv = await blink.createInvoice({ amountMsat: sats(21) });
    const open = await blink.lookupInvoice(inv.paymentHash);
    expect(sent(mock)).toEqual({
      query: BLINK_QUERIES.lnInvoicePaymentStatusByHash,
      variables: { input: { paymentHash: inv.paymentHash } },
    });
    expect(open).toEqual({
      paymentHash: inv.paymentHash,
      state: 'open',
      paymentRequest: inv.paymentRequest,
      amountMsat: 21_000n,
    });
    mock.markPaid(inv.paymentHash);
    const paid = await blink.lookupInvoice(inv.paymentHash);
    expectSettled(paid, inv.paymentHash);
    const other = await blink.createInvoice({ amountMsat: sats(1) });
    mock.expire(other.paymentHash);
    expect((await blink.lookupInvoice(other.paymentHash)).state).toBe('expired');
    const unknown = await failure(blink.lookupInvoice('ef'.repeat(32)));
    expect(unknown.code).toBe('LN_NOT_FOUND');
  });

  it('waitForInvoice polls until the server marks the invoice paid', async () => {
    const inv = await blink.createInvoice({ amountMsat: sats(5) });
    const seen = mock.nextRequest('lnInvoicePaymentStatusByHash');
    const waiting = blink.waitForInvoice(inv.paymentHash, { timeoutMs: 10_000, pollIntervalMs: 20 });
    await seen;
    mock.markPaid(inv.paymentHash);
    const done = await waiting;
    expectSettled(done, inv.paymentHash);
    const other = await blink.createInvoice({ amountMsat: sats(1) });
    expect(
      (await failure(blink.waitForInvoice(other.paymentHash, { timeoutMs: 150, pollIntervalMs: 20 }))).code,
    ).toBe('LN_TIMEOUT');
  });

  it('pays with lnInvoicePaymentSend: preimage from settlementVia, fee from settlementFee', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 50_000n, feeSat: 3 });
    const paid = await blink.payInvoice(remote.paymentRequest);
    const body = sent(mock);
    expect(body.query).toBe(BLINK_QUERIES.lnInvoicePaymentSend);
    expect(body.variables).toEqual({
      input: { walletId: mock.btcWalletId, paymentRequest: remote.paymentRequest },
    });
    expect(mock.requests.at(-1)!.headers['x-api-key']).toBe(KEY);
    expect(paid).toEqual({
      preimage: remote.preimage,
      paymentHash: remote.paymentHash,
      amountMsat: 50_000n,
      feeMsat: 3_000n,
    });

    const zero = mock.remoteInvoice({});
    const z = await blink.payInvoice(zero.paymentRequest, { amountMsat: sats(8) });
    expect(sent(mock).query).toBe(BLINK_QUERIES.lnNoAmountInvoicePaymentSend);
    expect(sent(mock).variables.input).toMatchObject({ amount: 8 });
    expect(z.amountMsat).toBe(8_000n);
  });

  it('with maxFeeMsat, probes the fee first and refuses a higher one', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 10_000n, feeSat: 5 });
    const e = await failure(blink.payInvoice(remote.paymentRequest, { maxFeeMsat: 4_000n }));
    expect(e.code).toBe('LN_NO_ROUTE');
    expect(sent(mock).query).toBe(BLINK_QUERIES.lnInvoiceFeeProbe);
    expect((await blink.payInvoice(remote.paymentRequest, { maxFeeMsat: 5_000n })).feeMsat).toBe(5_000n);
  });

  it('maps payment failures: no route, insufficient balance, already paid, expired', async () => {
    const noRoute = await failure(
      blink.payInvoice(mock.remoteInvoice({ amountMsat: 1_000n, reachable: false }).paymentRequest),
    );
    expect(noRoute.code).toBe('LN_NO_ROUTE');
    expect(noRoute.data).toMatchObject({
      graphqlCode: 'ROUTE_FINDING_ERROR',
      reason: 'Unable to find a route for payment.',
    });

    const poor = await failure(
      blink.payInvoice(
        mock.remoteInvoice({ amountMsat: BigInt(mock.balanceSat + 1) * 1000n }).paymentRequest,
      ),
    );
    expect(poor.code).toBe('LN_INSUFFICIENT_BALANCE');
    expect(poor.data.graphqlCode).toBe('INSUFFICIENT_BALANCE');

    await expectPaysOnce(blink, mock.remoteInvoice({ amountMsat: 1_000n }).paymentRequest);

    const old = mock.remoteInvoice({ amountMsat: 1_000n, ...expiredLongAgo() });
    const expired = await failure(blink.payInvoice(old.paymentRequest));
    expect(expired.code).toBe('LN_INVOICE_EXPIRED');
  });

  it('lookupPayment reads walletById.transactionsByPaymentHash: succeeded with the preimage, pending, failed', async () => {
    const remote = mock.remoteInvoice({ amountMsat: 30_000n, feeSat: 1 });
    const paid = await blink.payInvoice(remote.paymentRequest);
    expect(await blink.lookupPayment(remote.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: paid.preimage,
    });
    expect(sent(mock)).toEqual({
      query: BLINK_QUERIES.transactionsByPaymentHash,
      variables: { walletId: mock.btcWalletId, paymentHash: remote.paymentHash },
    });
    expect(mock.requests.at(-1)!.headers['x-api-key']).toBe(KEY);

    // Blink answers PENDING while the payment is in flight: the client gives up, then recovers.
    const held = mock.remoteInvoice({ amountMsat: 5_000n, holds: true });
    const gaveUp = await failure(blink.payInvoice(held.paymentRequest));
    expect(gaveUp.code).toBe('LN_TIMEOUT');
    expect(gaveUp.data.reason).toBe('pending');
    expect(await blink.lookupPayment(held.paymentHash)).toEqual({ state: 'pending' });
    mock.settlePayment(held.paymentHash);
    expect(await blink.lookupPayment(held.paymentHash.toUpperCase())).toEqual({
      state: 'succeeded',
      preimage: held.preimage,
    });

    // A failed payment is a SEND FAILURE plus a RECEIVE reimbursement: failed. A retry that
    // succeeds wins over it.
    const dropped = mock.remoteInvoice({ amountMsat: 5_000n, holds: true });
    await failure(blink.payInvoice(dropped.paymentRequest));
    const balance = mock.balanceSat;
    mock.failPayment(dropped.paymentHash);
    expect(mock.balanceSat).toBe(balance + 5);
    expect(await blink.lookupPayment(dropped.paymentHash)).toEqual({ state: 'failed' });
    await failure(blink.payInvoice(dropped.paymentRequest));
    expect(await blink.lookupPayment(dropped.paymentHash)).toEqual({ state: 'pending' });
    mock.settlePayment(dropped.paymentHash);
    expect(await blink.lookupPayment(dropped.paymentHash)).toEqual({
      state: 'succeeded',
      preimage: dropped.preimage,
    });
  });

  it('lookupPayment: unknown hashes and paid invoices of the wallet (RECEIVE) are failed; errors are typed', async () => {
    expect(await blink.lookupPayment('ef'.repeat(32))).toEqual({ state: 'failed' });
    const inv = await blink.createInvoice({ amountMsat: sats(4) });
    mock.markPaid(inv.paymentHash);
    expect((await blink.lookupInvoice(inv.paymentHash)).state).toBe('settled');
    expect(await blink.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' });

    // Without a wallet id, the BTC wallet is found first.
    const auto = new Blink({ url: mock.url, apiKey: READ_ONLY });
    expect(await auto.lookupPayment('ef'.repeat(32))).toEqual({ state: 'failed' });
    expect(sent(mock, -2).query).toBe(BLINK_QUERIES.wallets);

    const before = mock.requests.length;
    expect((await failure(blink.lookupPayment('nothex'))).code).toBe('INVALID_ARGUMENT');
    expect(mock.requests.length).toBe(before);

    const elsewhere = new Blink({
      url: mock.url,
      apiKey: KEY,
      walletId: '6f0d2c36-1111-4a4e-9d1c-2b8f0d3e4a5b',
    });
    const e = await failure(elsewhere.lookupPayment('ef'.repeat(32)));
    expect(e.code).toBe('LN_BAD_CONFIG');

    const wrong = 'blink_wrong_key_Q1w2E3r4T5y6U7i8O9p0';
    const refused = await failure(
      new Blink({ url: mock.url, apiKey: wrong, walletId: mock.btcWalletId }).lookupPayment('ef'.repeat(32)),
    );
    expect(refused.code).toBe('LN_UNAUTHORIZED');
    expectNoSecret(refused, wrong);

    mock.failure = 'hang';
    expect((await failure(blink.lookupPayment('ef'.repeat(32), { timeoutMs: 150 }))).code).toBe('LN_TIMEOUT');
    const aborted = new AbortController();
    setTimeout(() => aborted.abort(), 100);
    expect((await failure(blink.lookupPayment('ef'.repeat(32), { signal: aborted.signal }))).code).toBe(
      'LN_TIMEOUT',
    );
  });

  it('the local server validates field arguments as Blink does', async () => {
    const ask = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(mock.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const wrongType = await ask(
      BLINK_QUERIES.transactionsByPaymentHash.replace('$walletId: WalletId!', '$walletId: ID!'),
      { walletId: mock.btcWalletId, paymentHash: 'ab'.repeat(32) },
    );
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body)).toContain('used in position expecting type');
    const badHash = await ask(BLINK_QUERIES.transactionsByPaymentHash, {
      walletId: mock.btcWalletId,
      paymentHash: 'xyz',
    });
    expect(badHash.status).toBe(200);
    expect(badHash.body.data).toEqual({ me: null });
    expect(JSON.stringify(badHash.body.errors)).toContain('Invalid value for PaymentHash');
  });

  it('reads node info (globals) and the BTC wallet balance (me)', async () => {
    expect(await blink.getInfo()).toEqual({ backend: 'blink', network: 'regtest', pubkey: mock.nodeId });
    expect(sent(mock).query).toBe(BLINK_QUERIES.globals);
    mock.balanceSat = 4_321;
    expect(await blink.getBalance()).toEqual({ balanceMsat: 4_321_000n });
  });

  it('an unknown API key is LN_UNAUTHORIZED (HTTP 401), so is a key without the scope; no error holds a key', async () => {
    const wrong = 'blink_wrong_key_Q1w2E3r4T5y6U7i8O9p0';
    const e = await failure(
      new Blink({ url: mock.url, apiKey: wrong, walletId: mock.btcWalletId }).getBalance(),
    );
    expect(e.code).toBe('LN_UNAUTHORIZED');
    expect(e.data).toMatchObject({ status: 401, detail: 'Access credentials are invalid' });
    expectNoSecret(e, wrong);

    const reader = new Blink({ url: mock.url, apiKey: READ_ONLY, walletId: mock.btcWalletId });
    expect((await reader.getBalance()).balanceMsat).toBe(200_000_000n);
    const refused = await failure(
      reader.payInvoice(mock.remoteInvoice({ amountMsat: 1_000n }).paymentRequest),
    );
    expect(refused.code).toBe('LN_UNAUTHORIZED');
    expect(refused.data.graphqlCode).toBe('NOT_AUTHORIZED');
    expectNoSecret(refused, READ_ONLY);
  });

  it('HTML, HTTP 500 and a hanging server are LN_BAD_RESPONSE / LN_TIMEOUT; a closed port LN_UNREACHABLE', async () => {
    await expectTransportFailures({
      mock,
      call: () => blink.getInfo(),
      hang: () => blink.lookupInvoice('ab'.repeat(32), { timeoutMs: 150 }),
      unreachable: async () => new Blink({ url: await closedPort('/graphql'), apiKey: KEY }).getInfo(),
      secret: KEY,
    });
  });
});
