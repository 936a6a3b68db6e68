/**
 * The lnd adapters (REST and gRPC) against a real regtest network: btcd, lnd alice and lnd
 * bob with a 1M sat channel alice→bob (scripts/regtest; brought up here if it is not up).
 * Bob issues, alice pays; every case runs on both transports. Fake servers on loopback
 * stand in only for what a healthy lnd never does (HTML, 500, hanging, streams cut mid-way).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { fromHex, randomBytes, sha256, toBase64, toHex } from '@farebox/core';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevNode } from '../src/dev-node.js';
import type { LndOptions } from '../src/node/lnd-common.js';
import { LndGrpc } from '../src/node/lnd-grpc.js';
import { LndRest } from '../src/node/lnd-rest.js';
import {
  type NodeFiles,
  nodeFiles,
  REGTEST_UP_TIMEOUT_MS,
  type RegtestEnv,
  regtest,
} from './support/regtest.js';

type Lnd = LndRest | LndGrpc;

interface Transport {
  name: string;
  make(node: NodeFiles, over?: Partial<LndOptions>): Lnd;
  /** An adapter for a loopback fake at `port`. */
  fake(port: number, node: NodeFiles, over?: Partial<LndOptions>): Lnd;
}

const transports: Transport[] = [
  {
    name: 'REST',
    make: (n, over = {}) => new LndRest({ host: n.rest, macaroon: n.macaroon, cert: n.cert, ...over }),
    // lnd with --no-rest-tls speaks plain HTTP; the fake does too.
    fake: (port, n, over = {}) =>
      new LndRest({ host: `http://127.0.0.1:${port}`, macaroon: n.macaroon, ...over }),
  },
  {
    name: 'gRPC',
    make: (n, over = {}) => new LndGrpc({ host: n.grpc, macaroon: n.macaroon, cert: n.cert, ...over }),
    fake: (port, n, over = {}) =>
      new LndGrpc({ host: `127.0.0.1:${port}`, macaroon: n.macaroon, cert: n.cert, ...over }),
  },
];

let env: RegtestEnv;
let alice: NodeFiles;
let bob: NodeFiles;

beforeAll(async () => {
  env = await regtest();
  alice = nodeFiles(env, 'ALICE');
  bob = nodeFiles(env, 'BOB');
}, REGTEST_UP_TIMEOUT_MS);

/** Every typed error a test saw: checked at the end for secrets. */
const seen: Array<{ code?: string; message: string; data?: unknown }> = [];

async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; data: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message: string; data?: Record<string, unknown>; name?: string };
    seen.push({ code: err.code, message: err.message, data: err.data });
    expect(err.name).toBe('FareboxError');
    return { code: err.code ?? '', message: err.message, data: err.data ?? {} };
  }
  throw new Error('expected a rejection');
}

function preimagePair(): { preimage: string; hash: string } {
  const pre = randomBytes(32);
  return { preimage: toHex(pre), hash: toHex(sha256(pre)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function closeServer(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await closeServer(s);
  return port;
}

/** lnd's protos for the fake gRPC servers (as the adapter loads them). */
async function lndProtos() {
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  const dir = dirname(createRequire(import.meta.url).resolve('lightning/grpc/protos/lightning.proto'));
  const def = await protoLoader.load(['lightning.proto', 'router.proto', 'invoices.proto'], {
    includeDirs: [dir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def) as unknown as Record<
    string,
    Record<string, grpc.ServiceClientConstructor>
  >;
}

describe.each(transports)('lnd $name adapter on a real regtest network (btcd + lnd alice → bob)', (t) => {
  let payer: Lnd;
  let seller: Lnd;

  beforeAll(() => {
    payer = t.make(alice);
    seller = t.make(bob);
  });
  afterAll(async () => {
    await payer?.close();
    await seller?.close();
  });

  it('getInfo says regtest and the real pubkey; alice has a channel balance', async () => {
    expect(await payer.getInfo()).toMatchObject({
      backend: 'lnd',
      network: 'regtest',
      pubkey: env.ALICE_PUBKEY,
      alias: 'alice',
    });
    expect(await seller.getInfo()).toMatchObject({ network: 'regtest', pubkey: env.BOB_PUBKEY });
    const { balanceMsat } = await payer.getBalance();
    expect(balanceMsat).toBeGreaterThan(100_000_000n);
  });

  it('bob issues, alice pays: sha256(preimage) == hash, fee reported, settlement streamed and looked up', async () => {
    const inv = await seller.createInvoice({
      amountMsat: 21_000n,
      memo: `farebox ${t.name} test`,
      expirySeconds: 300,
    });
    expect(inv.paymentRequest).toMatch(/^lnbcrt/);
    expect(inv.amountMsat).toBe(21_000n);
    expect(inv.expiresAt).toBeGreaterThan(Date.now() / 1000 + 250);
    expect(await seller.lookupInvoice(inv.paymentHash)).toMatchObject({ state: 'open', amountMsat: 21_000n });

    const streamed = seller.waitForInvoice(inv.paymentHash, { timeoutMs: 30_000 });
    const paid = await payer.payInvoice(inv.paymentRequest, { timeoutMs: 30_000 });
    expect(toHex(sha256(fromHex(paid.preimage)))).toBe(inv.paymentHash);
    expect(paid.paymentHash).toBe(inv.paymentHash);
    expect(paid.amountMsat).toBe(21_000n);
    expect(typeof paid.feeMsat).toBe('bigint');
    expect(paid.feeMsat).toBe(0n); // a direct channel: no routing fee

    const settled = await streamed;
    expect(settled).toMatchObject({ state: 'settled', preimage: paid.preimage, amountPaidMsat: 21_000n });
    expect(settled.settledAt).toBeGreaterThan(0);
    expect(await seller.lookupInvoice(inv.paymentHash)).toMatchObject({
      state: 'settled',
      preimage: paid.preimage,
    });
  });

  it('a description hash goes into the invoice instead of the memo', async () => {
    const dh = toHex(sha256(new TextEncoder().encode('a long description')));
    const inv = await seller.createInvoice({ amountMsat: 1_000n, descriptionHash: dh });
    const { decodeInvoice } = await import('@farebox/core');
    expect(decodeInvoice(inv.paymentRequest).descriptionHash).toBe(dh);
    await seller.cancelHoldInvoice(inv.paymentHash); // lnd cancels any open invoice
    expect((await seller.lookupInvoice(inv.paymentHash)).state).toBe('canceled');
  });

  it('hold invoice: accepted when paid, settled with the preimage, and the payer resolves with it', async () => {
    const { preimage, hash } = preimagePair();
    const inv = await seller.createHoldInvoice({ amountMsat: 7_000n, paymentHash: hash, memo: 'hold' });
    expect(inv.paymentHash).toBe(hash);
    const paying = payer.payInvoice(inv.paymentRequest, { timeoutMs: 30_000 });
    paying.catch(() => {}); // awaited below; no unhandled rejection if an assertion fails first
    const accepted = await seller.waitForInvoice(hash, { timeoutMs: 20_000 });
    expect(accepted).toMatchObject({ state: 'accepted', amountPaidMsat: 7_000n });
    expect(accepted.preimage).toBeUndefined();
    // a second payment while the first is in flight
    expect((await failure(payer.payInvoice(inv.paymentRequest))).code).toBe('LN_ALREADY_PAID');
    await seller.settleHoldInvoice(preimage);
    const paid = await paying;
    expect(paid.preimage).toBe(preimage);
    expect(await seller.lookupInvoice(hash)).toMatchObject({ state: 'settled', preimage });
  });

  it('hold invoice canceled: the payer gets a typed LN_PAYMENT_FAILED, settling it afterwards is refused', async () => {
    const { preimage, hash } = preimagePair();
    const inv = await seller.createHoldInvoice({ amountMsat: 8_000n, paymentHash: hash });
    const paying = failure(payer.payInvoice(inv.paymentRequest, { timeoutMs: 30_000 }));
    expect((await seller.waitForInvoice(hash, { timeoutMs: 20_000 })).state).toBe('accepted');
    await seller.cancelHoldInvoice(hash);
    const err = await paying;
    expect(err.code).toBe('LN_PAYMENT_FAILED');
    expect(err.data.reason).toBe('FAILURE_REASON_INCORRECT_PAYMENT_DETAILS');
    expect((await seller.lookupInvoice(hash)).state).toBe('canceled');
    const late = await failure(seller.settleHoldInvoice(preimage));
    expect(late.code).toBe('LN_PAYMENT_FAILED'); // lnd: "invoice already canceled"
    expect(late.message).not.toContain(preimage);
    expect(JSON.stringify(late.data)).not.toContain(preimage);
    // a hold invoice for a hash already used
    expect(
      (await failure(seller.createHoldInvoice({ amountMsat: 1n * 1000n, paymentHash: hash }))).code,
    ).toBe('LN_PAYMENT_FAILED');
  });

  it('lookupPayment: a paid invoice is succeeded with the preimage; a hash alice never paid is failed', async () => {
    const inv = await seller.createInvoice({ amountMsat: 2_000n, memo: 'lookup' });
    const paid = await payer.payInvoice(inv.paymentRequest, { timeoutMs: 30_000 });
    const found = await payer.lookupPayment(inv.paymentHash);
    expect(found).toEqual({ state: 'succeeded', preimage: paid.preimage });
    expect(found.preimage).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(sha256(fromHex(found.preimage!)))).toBe(inv.paymentHash);
    // upper-case hex is the same hash
    expect(await payer.lookupPayment(inv.paymentHash.toUpperCase())).toEqual(found);
    // lnd: NotFound "payment isn't initiated" (no HTLC ever left alice for it)
    expect(await payer.lookupPayment(preimagePair().hash)).toEqual({ state: 'failed' });
    // bob received that payment but never sent one
    expect(await seller.lookupPayment(inv.paymentHash)).toEqual({ state: 'failed' });
  });

  it('lookupPayment of a payment held in flight: pending while bob holds it, then succeeded with the preimage', async () => {
    const { preimage, hash } = preimagePair();
    const inv = await seller.createHoldInvoice({ amountMsat: 6_000n, paymentHash: hash });
    const paying = payer.payInvoice(inv.paymentRequest, { timeoutMs: 30_000 });
    paying.catch(() => {}); // awaited below
    expect((await seller.waitForInvoice(hash, { timeoutMs: 20_000 })).state).toBe('accepted');
    const started = Date.now();
    expect(await payer.lookupPayment(hash, { timeoutMs: 5_000 })).toEqual({ state: 'pending' });
    expect(Date.now() - started).toBeLessThan(4_000); // the current state at once, not the final one
    await seller.settleHoldInvoice(preimage);
    expect((await paying).preimage).toBe(preimage);
    expect(await payer.lookupPayment(hash)).toEqual({ state: 'succeeded', preimage });
  });

  it('lookupPayment of a held payment the payer gave up on: still pending, then failed once bob cancels', async () => {
    const { hash } = preimagePair();
    const inv = await seller.createHoldInvoice({ amountMsat: 6_000n, paymentHash: hash });
    // the paying client "crashes": its deadline passes while the HTLC is held
    expect((await failure(payer.payInvoice(inv.paymentRequest, { timeoutMs: 3_000 }))).code).toBe(
      'LN_TIMEOUT',
    );
    expect(await payer.lookupPayment(hash)).toEqual({ state: 'pending' });
    await seller.cancelHoldInvoice(hash);
    let found = await payer.lookupPayment(hash);
    for (let i = 0; i < 50 && found.state === 'pending'; i++) {
      await sleep(200); // the HTLC's failure travels back to alice
      found = await payer.lookupPayment(hash);
    }
    expect(found).toEqual({ state: 'failed' });
  });

  it('lookupPayment: bad hash is INVALID_ARGUMENT, an aborted call LN_TIMEOUT, invoice.macaroon LN_UNAUTHORIZED (not "failed")', async () => {
    for (const bad of ['abc', 'zz'.repeat(32), '', 'ab'.repeat(33)]) {
      const err = await failure(payer.lookupPayment(bad));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.data.parameter).toBe('paymentHash');
    }
    const ctrl = new AbortController();
    ctrl.abort();
    expect((await failure(payer.lookupPayment(preimagePair().hash, { signal: ctrl.signal }))).code).toBe(
      'LN_TIMEOUT',
    );
    const invoiceOnly = t.make(bob, { macaroon: bob.invoiceMacaroon });
    try {
      // lnd: "permission denied"
      expect((await failure(invoiceOnly.lookupPayment(preimagePair().hash))).code).toBe('LN_UNAUTHORIZED');
    } finally {
      await invoiceOnly.close();
    }
  });

  it('expired invoice: paying says LN_INVOICE_EXPIRED (lnd: "invoice expired. Valid until …"), the seller sees expired', async () => {
    const inv = await seller.createInvoice({ amountMsat: 5_000n, expirySeconds: 1 });
    const waiting = seller.waitForInvoice(inv.paymentHash, { timeoutMs: 20_000 });
    await sleep(2_000);
    const err = await failure(payer.payInvoice(inv.paymentRequest));
    expect(err.code).toBe('LN_INVOICE_EXPIRED');
    // lnd cancels expired invoices itself; the adapter reports them as expired
    expect((await waiting).state).toBe('expired');
    expect((await seller.lookupInvoice(inv.paymentHash)).state).toBe('expired');
  });

  it('an amount over the balance: LN_INSUFFICIENT_BALANCE (lnd: FAILURE_REASON_INSUFFICIENT_BALANCE)', async () => {
    // above alice's local balance but within the channel, then above the channel itself
    // (other test files may move sats on this network meanwhile: stay well clear of the edge)
    const { balanceMsat } = await payer.getBalance();
    for (const amountMsat of [balanceMsat + 20_000_000n, 2_000_000_000n]) {
      const inv = await seller.createInvoice({ amountMsat });
      const err = await failure(payer.payInvoice(inv.paymentRequest));
      expect(err.code).toBe('LN_INSUFFICIENT_BALANCE');
      expect(err.data.reason).toBe('FAILURE_REASON_INSUFFICIENT_BALANCE');
      await seller.cancelHoldInvoice(inv.paymentHash);
    }
  });

  it('paying twice: LN_ALREADY_PAID (lnd: "invoice is already paid")', async () => {
    const inv = await seller.createInvoice({ amountMsat: 3_000n });
    await payer.payInvoice(inv.paymentRequest);
    const err = await failure(payer.payInvoice(inv.paymentRequest));
    expect(err.code).toBe('LN_ALREADY_PAID');
  });

  it('an invoice of a node alice has no channel to: LN_NO_ROUTE (lnd: FAILURE_REASON_NO_ROUTE)', async () => {
    const stranger = new DevNode({ production: false });
    try {
      const inv = await stranger.createInvoice({ amountMsat: 1_000n });
      const err = await failure(payer.payInvoice(inv.paymentRequest));
      expect(err.code).toBe('LN_NO_ROUTE');
      expect(err.data).toMatchObject({ reason: 'FAILURE_REASON_NO_ROUTE', paymentHash: inv.paymentHash });
    } finally {
      await stranger.close();
    }
  });

  it("the payer's deadline passing while a hold invoice is held: LN_TIMEOUT naming the hash; the HTLC stays until the seller decides", async () => {
    const { hash } = preimagePair();
    const inv = await seller.createHoldInvoice({ amountMsat: 4_000n, paymentHash: hash });
    const err = await failure(payer.payInvoice(inv.paymentRequest, { timeoutMs: 3_000 }));
    expect(err.code).toBe('LN_TIMEOUT');
    expect(err.data.paymentHash).toBe(hash);
    expect((await seller.lookupInvoice(hash)).state).toBe('accepted');
    // lnd: "payment is in transition"
    expect((await failure(payer.payInvoice(inv.paymentRequest))).code).toBe('LN_ALREADY_PAID');
    await seller.cancelHoldInvoice(hash);
    expect((await seller.lookupInvoice(hash)).state).toBe('canceled');
  });

  it('an unknown payment hash: LN_NOT_FOUND for lookup, wait, settle and cancel', async () => {
    const { preimage, hash } = preimagePair();
    expect((await failure(seller.lookupInvoice(hash))).code).toBe('LN_NOT_FOUND');
    expect((await failure(seller.waitForInvoice(hash, { timeoutMs: 5_000 }))).code).toBe('LN_NOT_FOUND');
    expect((await failure(seller.settleHoldInvoice(preimage))).code).toBe('LN_NOT_FOUND');
    expect((await failure(seller.cancelHoldInvoice(hash))).code).toBe('LN_NOT_FOUND');
  });

  it('waitForInvoice times out with LN_TIMEOUT while the invoice stays open', async () => {
    const inv = await seller.createInvoice({ amountMsat: 1_000n });
    const err = await failure(seller.waitForInvoice(inv.paymentHash, { timeoutMs: 700 }));
    expect(err.code).toBe('LN_TIMEOUT');
    const ctrl = new AbortController();
    const aborted = failure(seller.waitForInvoice(inv.paymentHash, { signal: ctrl.signal }));
    setTimeout(() => ctrl.abort(), 300);
    expect((await aborted).code).toBe('LN_TIMEOUT');
    await seller.cancelHoldInvoice(inv.paymentHash);
  });

  it("invoice.macaroon can create invoices but cannot pay (LN_UNAUTHORIZED: lnd's permission denied)", async () => {
    const invoiceOnly = t.make(bob, { macaroon: bob.invoiceMacaroon });
    try {
      const inv = await invoiceOnly.createInvoice({ amountMsat: 2_000n });
      expect((await invoiceOnly.lookupInvoice(inv.paymentHash)).state).toBe('open');
      const { hash } = preimagePair();
      await invoiceOnly.createHoldInvoice({ amountMsat: 2_000n, paymentHash: hash });
      const other = await payer.createInvoice({ amountMsat: 1_000n }); // alice's invoice
      const err = await failure(invoiceOnly.payInvoice(other.paymentRequest));
      expect(err.code).toBe('LN_UNAUTHORIZED');
      expect((await failure(invoiceOnly.getBalance())).code).toBe('LN_UNAUTHORIZED');
    } finally {
      await invoiceOnly.close();
    }
  });

  it("a wrong macaroon (another node's, a garbled one, random bytes): LN_UNAUTHORIZED without the macaroon in the error", async () => {
    const garbled = toHex(bob.macaroon).slice(0, 40);
    for (const macaroon of [bob.macaroon, garbled, randomBytes(64)]) {
      const wrong = t.make(alice, { macaroon });
      try {
        const err = await failure(wrong.getInfo());
        expect(err.code).toBe('LN_UNAUTHORIZED');
        const hex = typeof macaroon === 'string' ? macaroon : toHex(macaroon);
        expect(err.message).not.toContain(hex);
        expect(JSON.stringify(err.data)).not.toContain(hex);
        expect(
          (
            await failure(
              wrong.payInvoice((await seller.createInvoice({ amountMsat: 1_000n })).paymentRequest),
            )
          ).code,
        ).toBe('LN_UNAUTHORIZED');
      } finally {
        await wrong.close();
      }
    }
  });

  it('an unreachable node (closed port) and a wrong TLS certificate: LN_UNREACHABLE', async () => {
    const port = await closedPort();
    const down = t.fake(port, alice, { cert: alice.cert });
    const gone =
      t.name === 'REST'
        ? new LndRest({ host: `127.0.0.1:${port}`, macaroon: alice.macaroon, cert: alice.cert })
        : down;
    try {
      expect((await failure(gone.getInfo())).code).toBe('LN_UNREACHABLE');
      expect((await failure(gone.createInvoice({ amountMsat: 1_000n }))).code).toBe('LN_UNREACHABLE');
    } finally {
      await down.close();
      await gone.close();
    }
    const wrongCert = t.make(alice, { cert: bob.cert });
    try {
      expect((await failure(wrongCert.getInfo())).code).toBe('LN_UNREACHABLE');
    } finally {
      await wrongCert.close();
    }
  });

  it('bad input is refused before any call (INVALID_ARGUMENT / LN_BAD_CONFIG)', async () => {
    expect((await failure(seller.lookupInvoice('abc'))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(seller.createInvoice({ amountMsat: 0n }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(payer.payInvoice('not an invoice'))).code).toBe('BOLT11_INVALID');
    expect(() => t.make(alice, { macaroon: 'not hex' })).toThrow(
      expect.objectContaining({ code: 'LN_BAD_CONFIG' }),
    );
    expect(() => t.make(alice, { host: '' })).toThrow(expect.objectContaining({ code: 'LN_BAD_CONFIG' }));
  });

  it('fromConnection reads the macaroon and cert files a connection string names', async () => {
    const { parseConnection } = await import('../src/connection.js');
    const cs = t.name === 'REST' ? env.BOB_CONNECTION! : env.BOB_GRPC_CONNECTION!;
    const cfg = parseConnection(cs);
    if (cfg.type !== 'lnd') throw new Error('not lnd');
    const lnd = t.name === 'REST' ? await LndRest.fromConnection(cfg) : await LndGrpc.fromConnection(cfg);
    try {
      expect((await lnd.getInfo()).pubkey).toBe(env.BOB_PUBKEY);
    } finally {
      await lnd.close();
    }
    const missing = { ...cfg, macaroon: '/nonexistent/admin.macaroon' };
    const err = await failure(
      t.name === 'REST' ? LndRest.fromConnection(missing) : LndGrpc.fromConnection(missing),
    );
    expect(err.code).toBe('LN_BAD_CONFIG');
    const other = { ...cfg, transport: t.name === 'REST' ? ('grpc' as const) : ('rest' as const) };
    expect(
      (await failure(t.name === 'REST' ? LndRest.fromConnection(other) : LndGrpc.fromConnection(other))).code,
    ).toBe('LN_BAD_CONFIG');
  });

  it('no error message or data carried a macaroon', () => {
    expect(seen.length).toBeGreaterThan(10);
    const secrets = [alice.macaroon, bob.macaroon, bob.invoiceMacaroon].map((m) => toHex(m));
    for (const e of seen) {
      const text = `${e.message} ${JSON.stringify(e.data)}`;
      for (const s of secrets) {
        expect(text).not.toContain(s);
        expect(text).not.toContain(s.slice(0, 64));
      }
    }
  });
});

describe('lnd REST adapter against a broken server (loopback fake; lnd never does this)', () => {
  let server: http.Server;
  let port: number;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};

  beforeAll(async () => {
    server = http.createServer((req, res) => handler(req, res));
    port = await listen(server);
  });
  afterAll(async () => {
    await closeServer(server);
  });

  it('HTML, a 500 page, an empty 200, or no answer at all: LN_BAD_RESPONSE / LN_TIMEOUT', async () => {
    const lnd = transports[0]!.fake(port, alice, { timeoutMs: 500 });
    try {
      handler = (_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hi</body></html>');
      expect((await failure(lnd.getInfo())).code).toBe('LN_BAD_RESPONSE');
      handler = (_req, res) =>
        res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>');
      expect((await failure(lnd.getInfo())).code).toBe('LN_BAD_RESPONSE');
      expect((await failure(lnd.createInvoice({ amountMsat: 1_000n }))).code).toBe('LN_BAD_RESPONSE');
      handler = (_req, res) => res.writeHead(502).end('bad gateway');
      expect((await failure(lnd.lookupInvoice(preimagePair().hash))).code).toBe('LN_BAD_RESPONSE');
      handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      expect((await failure(lnd.createInvoice({ amountMsat: 1_000n }))).code).toBe('LN_BAD_RESPONSE');
      handler = () => {}; // hangs
      expect((await failure(lnd.getInfo())).code).toBe('LN_TIMEOUT');
      const dev = new DevNode({ production: false });
      const inv = await dev.createInvoice({ amountMsat: 1_000n });
      expect((await failure(lnd.payInvoice(inv.paymentRequest, { timeoutMs: 500 }))).code).toBe('LN_TIMEOUT');
      handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>\n');
      expect((await failure(lnd.payInvoice(inv.paymentRequest))).code).toBe('LN_BAD_RESPONSE');
      await dev.close();
    } finally {
      await lnd.close();
    }
  });

  it('a payment stream cut mid-way is a typed LN_BAD_RESPONSE, never an unhandled rejection', async () => {
    const lnd = transports[0]!.fake(port, alice);
    const dev = new DevNode({ production: false });
    try {
      const inv = await dev.createInvoice({ amountMsat: 1_000n });
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"result":{"status":"IN_FLIGHT"}}\n{"result":{"sta');
        setTimeout(() => res.socket?.destroy(), 50);
      };
      const err = await failure(lnd.payInvoice(inv.paymentRequest));
      expect(err.code).toBe('LN_BAD_RESPONSE');
      handler = (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":{"status":"IN_FLIGHT"}}\n');
      expect((await failure(lnd.payInvoice(inv.paymentRequest))).code).toBe('LN_BAD_RESPONSE');
    } finally {
      await dev.close();
      await lnd.close();
    }
  });

  it('lookupPayment against answers lnd never gives: a hang is LN_TIMEOUT, a gateway 404 LN_UNSUPPORTED, odd statuses and preimages LN_BAD_RESPONSE', async () => {
    const lnd = transports[0]!.fake(port, alice);
    const { preimage, hash } = preimagePair();
    let path = '';
    try {
      handler = (req) => {
        path = req.url ?? ''; // hangs
      };
      const err = await failure(lnd.lookupPayment(hash, { timeoutMs: 300 }));
      expect(err.code).toBe('LN_TIMEOUT');
      expect(err.data.paymentHash).toBe(hash);
      expect(path).toBe(
        `/v2/router/track/${toBase64(fromHex(hash)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '%3D')}?no_inflight_updates=false`,
      );
      // lnd's REST gateway without routerrpc: its own 404, not lnd saying the payment is unknown
      handler = (_req, res) =>
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"code":5, "message":"Not Found", "details":[]}');
      expect((await failure(lnd.lookupPayment(hash))).code).toBe('LN_UNSUPPORTED');
      const stream = (result: unknown) => (_req: http.IncomingMessage, res: http.ServerResponse) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ result })}\n`);
      handler = stream({ status: 'SUCCEEDED', payment_preimage: preimagePair().preimage });
      expect((await failure(lnd.lookupPayment(hash))).code).toBe('LN_BAD_RESPONSE');
      handler = stream({ status: 'UNKNOWN' });
      expect((await failure(lnd.lookupPayment(hash))).code).toBe('LN_BAD_RESPONSE');
      handler = stream({ status: 'SUCCEEDED', payment_preimage: preimage.toUpperCase() });
      expect(await lnd.lookupPayment(hash)).toEqual({ state: 'succeeded', preimage });
      handler = stream({ status: 'INITIATED', payment_preimage: '00'.repeat(32) });
      expect(await lnd.lookupPayment(hash)).toEqual({ state: 'pending' });
    } finally {
      await lnd.close();
    }
  });

  it('waitForInvoice: an invoice stream cut mid-way falls back to polling and still sees the settlement', async () => {
    const lnd = transports[0]!.fake(port, alice);
    const { preimage, hash } = preimagePair();
    const now = Math.floor(Date.now() / 1000);
    const base = {
      value_msat: '1000',
      creation_date: String(now),
      expiry: '600',
      payment_request: 'lnbcrt…',
      htlcs: [],
    };
    let cut = false;
    let lookups = 0;
    handler = (req, res) => {
      const json = (v: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (req.url === `/v1/invoice/${hash}`) {
        lookups++;
        if (!cut) return json({ ...base, state: 'OPEN' });
        return json({
          ...base,
          state: 'SETTLED',
          r_preimage: toBase64(fromHex(preimage)),
          settle_date: String(now + 1),
          amt_paid_msat: '1000',
        });
      }
      if (req.url?.startsWith('/v2/invoices/subscribe/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ result: { ...base, state: 'OPEN' } })}\n`);
        setTimeout(() => {
          cut = true;
          res.socket?.destroy();
        }, 100);
        return;
      }
      res.writeHead(404).end();
    };
    try {
      const s = await lnd.waitForInvoice(hash, { timeoutMs: 5_000, pollIntervalMs: 50 });
      expect(s).toMatchObject({ state: 'settled', preimage, amountPaidMsat: 1000n });
      expect(lookups).toBeGreaterThanOrEqual(2);
    } finally {
      await lnd.close();
    }
  });
});

describe('lnd gRPC adapter against a broken server (loopback fakes; lnd never does this)', () => {
  it('a TLS server that never answers: LN_TIMEOUT', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    const port = await listen(server);
    const lnd = transports[1]!.fake(port, alice, { timeoutMs: 500 });
    try {
      expect((await failure(lnd.getInfo())).code).toBe('LN_TIMEOUT');
    } finally {
      await lnd.close();
      for (const s of sockets) s.destroy();
      await closeServer(server);
    }
  });

  it('an HTTP/2 server answering HTML or 500 instead of gRPC: LN_BAD_RESPONSE', async () => {
    let status = 500;
    const server = http2.createSecureServer({ key: alice.key, cert: alice.cert }, (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html><body>Internal Server Error</body></html>');
    });
    const port = await listen(server);
    const lnd = transports[1]!.fake(port, alice, { timeoutMs: 2_000 });
    try {
      expect((await failure(lnd.getInfo())).code).toBe('LN_BAD_RESPONSE');
      status = 200;
      expect((await failure(lnd.getInfo())).code).toBe('LN_BAD_RESPONSE');
      expect((await failure(lnd.lookupInvoice(preimagePair().hash))).code).toBe('LN_BAD_RESPONSE');
    } finally {
      await lnd.close();
      await closeServer(server);
    }
  });

  it('gRPC to an IP address: the certificate is checked against that IP, with no DEP0123 warning', async () => {
    const pkg = await lndProtos();
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    // One fake lnd with alice's key and certificate (which names 127.0.0.1, not 127.0.0.2),
    // bound to both addresses.
    const server = new grpc.Server();
    server.addService(pkg.lnrpc!.Lightning!.service, {
      GetInfo: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { identity_pubkey: '02'.padEnd(66, '1'), alias: 'fake', chains: [{ network: 'regtest' }] }),
    });
    const creds = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(alice.key), cert_chain: Buffer.from(alice.cert) },
    ]);
    const bind = (addr: string) =>
      new Promise<number>((resolve, reject) =>
        server.bindAsync(addr, creds, (err, p) => (err ? reject(err) : resolve(p))),
      );
    const port1 = await bind('127.0.0.1:0');
    const port2 = await bind('127.0.0.2:0');
    const named = new LndGrpc({ host: `127.0.0.1:${port1}`, macaroon: alice.macaroon, cert: alice.cert });
    const unnamed = new LndGrpc({ host: `127.0.0.2:${port2}`, macaroon: alice.macaroon, cert: alice.cert });
    const real = new LndGrpc({ host: alice.grpc, macaroon: alice.macaroon, cert: alice.cert });
    try {
      expect((await named.getInfo()).alias).toBe('fake');
      expect((await real.getInfo()).alias).toBeTruthy();
      const e = await failure(unnamed.getInfo());
      expect(e.code).toBe('LN_UNREACHABLE');
      expect(e.message).toMatch(/127\.0\.0\.2|altnames|IP/);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('DEP0123');
    } finally {
      process.off('warning', onWarning);
      await named.close();
      await unnamed.close();
      await real.close();
      server.forceShutdown();
    }
  });

  it('an invoice stream ended mid-way falls back to polling; a payment stream ended without a result is LN_BAD_RESPONSE', async () => {
    const pkg = await lndProtos();
    const { preimage, hash } = preimagePair();
    const now = Math.floor(Date.now() / 1000);
    const base = {
      value_msat: '1000',
      creation_date: String(now),
      expiry: '600',
      payment_request: 'lnbcrt…',
    };
    let cut = false;
    const server = new grpc.Server();
    server.addService(pkg.lnrpc!.Lightning!.service, {
      LookupInvoice: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(
          null,
          cut
            ? {
                ...base,
                state: 'SETTLED',
                r_preimage: Buffer.from(preimage, 'hex'),
                settle_date: String(now + 1),
                amt_paid_msat: '1000',
              }
            : { ...base, state: 'OPEN' },
        ),
    });
    server.addService(pkg.invoicesrpc!.Invoices!.service, {
      SubscribeSingleInvoice: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.write({ ...base, state: 'OPEN' });
        setTimeout(() => {
          cut = true;
          call.emit('error', { code: grpc.status.INTERNAL, details: 'stream cut' });
        }, 100);
      },
    });
    server.addService(pkg.routerrpc!.Router!.service, {
      SendPaymentV2: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.write({ status: 'IN_FLIGHT' });
        setTimeout(() => call.end(), 50);
      },
    });
    const creds = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(alice.key), cert_chain: Buffer.from(alice.cert) },
    ]);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    const lnd = transports[1]!.fake(port, alice);
    const dev = new DevNode({ production: false });
    try {
      const s = await lnd.waitForInvoice(hash, { timeoutMs: 5_000, pollIntervalMs: 50 });
      expect(s).toMatchObject({ state: 'settled', preimage });
      const inv = await dev.createInvoice({ amountMsat: 1_000n });
      expect((await failure(lnd.payInvoice(inv.paymentRequest))).code).toBe('LN_BAD_RESPONSE');
    } finally {
      await dev.close();
      await lnd.close();
      server.forceShutdown();
    }
  });
});

describe('lnd adapters: module boundaries', () => {
  const src = (f: string) => readFileSync(new URL(`../src/node/${f}`, import.meta.url), 'utf8');
  const imports = (text: string) => [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)];

  it('the REST adapter and what it imports never import gRPC; the gRPC adapter loads it only on first use', () => {
    for (const f of ['lnd-rest.ts', 'lnd-adapter.ts', 'lnd-common.ts', 'tls.ts']) {
      for (const m of imports(src(f))) expect(m[2], f).not.toMatch(/grpc|proto-loader/);
    }
    const grpcStatic = imports(src('lnd-grpc.ts')).filter((m) => /grpc|proto-loader/.test(m[2]!));
    expect(grpcStatic.length).toBeGreaterThan(0);
    for (const m of grpcStatic) expect(m[1], 'only `import type` at the top of lnd-grpc.ts').toBeTruthy();
  });
});
